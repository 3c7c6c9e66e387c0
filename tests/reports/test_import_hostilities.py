"""`manage.py import_hostilities FILE`: the official list as designations, all or nothing, twice = once."""

import datetime
import io
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from locations.services import area_upsert
from reports.choices import CONTROL_KIND_OFFICIAL_NAMES, ControlKind
from reports.importing import HOSTILITIES_SOURCE
from reports.models import ControlDesignation, DirtyArea, Source
from tests.factories import AreaFactory, DesignationFactory, default_hromada

pytestmark = pytest.mark.django_db

FIXTURE = Path(__file__).parent / "data" / "hostilities.csv"
D = datetime.date


@pytest.fixture
def hromadas():
    first = default_hromada()
    raion = first.parent
    second, _ = area_upsert(code="UA98010030000000005", name_uk="Друга громада", category="hromada", parent=raion)
    third, _ = area_upsert(code="UA98010040000000006", name_uk="Третя громада", category="hromada", parent=raion)
    return first, second, third


def _import(path, **options):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_hostilities", str(path), stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


def _stored():
    return sorted(
        ControlDesignation.objects.values_list(
            "area__code", "kind", "valid_from", "valid_until", "valid_until_precision"
        )
    )


def test_the_fixture_becomes_designations_with_their_source_history_and_dirty_marks(hromadas):
    first, second, third = hromadas
    out, _err = _import(FIXTURE)
    assert "5 rows; 5 created, 0 updated, 0 unchanged" in out
    assert _stored() == [
        (first.code, ControlKind.ACTIVE_HOSTILITIES, D(2022, 9, 11), None, ""),
        (first.code, ControlKind.OCCUPIED, D(2022, 2, 24), D(2022, 9, 10), "day"),
        (second.code, ControlKind.ACTIVE_HOSTILITIES_E_RESOURCES, D(2022, 4, 1), D(2022, 12, 31), "day"),
        (second.code, ControlKind.POSSIBLE_HOSTILITIES, D(2023, 1, 15), None, ""),
        (third.code, ControlKind.ENCIRCLED, D(2022, 3, 1), D(2022, 4, 30), "day"),
    ]
    source = Source.objects.get(slug=HOSTILITIES_SOURCE["slug"])
    occupied = ControlDesignation.objects.get(kind=ControlKind.OCCUPIED)
    assert list(occupied.citations.values_list("source", "locator")) == [(source.pk, "розділ II")]
    assert occupied.summary.endswith("temporarily occupied territory.")
    assert occupied.history.count() == 1
    # Through the services: each hromada's subtree is queued for a recompute.
    assert set(DirtyArea.objects.values_list("area__code", flat=True)) >= {first.code, second.code, third.code}


def test_importing_twice_writes_nothing(hromadas):
    _import(FIXTURE)
    with CaptureQueriesContext(connection) as queries:
        out, _err = _import(FIXTURE)
    assert "0 created, 0 updated, 5 unchanged" in out
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].lstrip().split()[0].upper() in WRITES]
    assert writes == []


WRITES = {"INSERT", "UPDATE", "DELETE", "REPLACE"}


def test_the_next_edition_closes_a_period_and_adds_one(hromadas, tmp_path):
    first, second, _third = hromadas
    _import(FIXTURE)
    edition = tmp_path / "edition.csv"
    edition.write_text(
        "hromada_code,kind,valid_from,valid_until\n"
        f"{first.code},active_hostilities,2022-09-11,2023-06-30\n"  # the list ends it
        f"{first.code},possible_hostilities,2023-07-01,\n",  # and lists the next period
        encoding="utf-8",
    )
    out, _err = _import(edition)
    assert "1 created, 1 updated, 0 unchanged" in out
    closed = ControlDesignation.objects.get(area=first, kind=ControlKind.ACTIVE_HOSTILITIES)
    assert (closed.valid_until, closed.valid_until_precision) == (D(2023, 6, 30), "day")
    assert closed.history.count() == 2
    # Rows an edition no longer lists stay: ended periods are history.
    assert ControlDesignation.objects.filter(area=second).count() == 2


def test_a_designation_entered_by_hand_is_matched_too(hromadas, tmp_path):
    first = hromadas[0]
    DesignationFactory(area=first, kind=ControlKind.OCCUPIED, valid_from=D(2022, 2, 24))
    edition = tmp_path / "edition.csv"
    edition.write_text(f"hromada_code,kind,valid_from\n{first.code},occupied,2022-02-24\n", encoding="utf-8")
    out, _err = _import(edition)
    assert "0 created, 0 updated, 1 unchanged" in out
    assert ControlDesignation.objects.count() == 1


def test_every_bad_row_is_named_and_nothing_is_written(hromadas, tmp_path):
    first = hromadas[0]
    settlement = AreaFactory(parent=first)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "hromada_code,kind,valid_from,valid_until\n"
        f"{first.code},occupied,2022-02-24,\n"  # row 2: good
        f"{settlement.code},occupied,2022-02-24,\n"  # row 3: a settlement
        f"{first.parent.code},occupied,2022-02-24,\n"  # row 4: a raion
        "UA00000000000000000,occupied,2022-02-24,\n"  # row 5: no such area
        f"{first.code},shelled,2022-02-24,\n"  # row 6: not a kind
        f"{first.code},encircled,24/02/2022,\n"  # row 7: a date the list never writes
        f"{first.code},encircled,2022-05-01,2022-04-01\n"  # row 8: ends before it starts
        f"{first.code},Тимчасово окуповані території,24.02.2022,\n"  # row 9: row 2 again
        f"{first.code},encircled,,\n",  # row 10: no start
        encoding="utf-8",
    )
    err = _errors_of(bad, match="bad.csv: 8 of 9 rows have errors; nothing was imported.")
    for row in (3, 4, 5, 6, 7, 8, 9, 10):
        assert f"row {row}, " in err, (row, err)
    assert "row 2, " not in err
    assert "is a settlement, not a hromada" in err and "is a raion, not a hromada" in err
    assert "listed twice" in err
    # Nothing at all: not the good row, not even the source.
    assert ControlDesignation.objects.count() == 0
    assert not Source.objects.filter(slug=HOSTILITIES_SOURCE["slug"]).exists()


def _errors_of(path, match):
    err = io.StringIO()
    with pytest.raises(CommandError, match=match):
        call_command("import_hostilities", str(path), stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def test_another_source_must_exist(hromadas):
    with pytest.raises(CommandError, match="No source with slug elsewhere"):
        _import(FIXTURE, source="elsewhere")


def test_the_labels_ukrainian_translations_are_the_lists_wording():
    catalog = polib.pofile(str(Path(settings.BASE_DIR) / "locale" / "uk" / "LC_MESSAGES" / "django.po"))
    translated = {entry.msgid: entry.msgstr for entry in catalog}
    for kind in ControlKind:
        assert translated[str(kind.label)] == CONTROL_KIND_OFFICIAL_NAMES[kind], kind
