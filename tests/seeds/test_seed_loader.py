"""The article seeds: real codes, our figures with their uncertainty, citations, idempotency."""

import datetime
import hashlib

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.management.base import CommandError

from evactrack.access.models import Organization
from locations.models import Area
from locations.selectors import areas_named
from reports.models import ControlDesignation, EvacuationOrder, Incident, PopulationCount, Source
from seeds.loader import SEED_FILE, seed_load, seed_uid

pytestmark = pytest.mark.django_db

KUPIANSK = "UA63080090010026457"


@pytest.fixture
def seeded():
    seed_load()


def every_row():
    """A digest of every row of every table, by table: any insert, delete or update — a history
    row, a moved updated_at, a dirty mark, a recompute request — changes its table's entry."""
    tables = {}
    for model in apps.get_models():
        digest = hashlib.sha256()
        rows = model.objects.order_by("pk").values_list()
        for row in rows:
            digest.update(repr(row).encode())
        tables[model._meta.db_table] = (rows.count(), digest.hexdigest())
    return tables


def changed_tables(before, after):
    return {table: (before.get(table), count) for table, count in after.items() if before.get(table) != count}


def test_loading_twice_writes_no_row(seeded):
    before = every_row()
    summary = seed_load()
    assert changed_tables(before, every_row()) == {}
    assert sum(summary.created.values()) == 0 and sum(summary.updated.values()) == 0


def test_the_row_digest_sees_a_save_that_changes_nothing_but_updated_at(seeded):
    """The check above can fail: saving an unchanged source moves updated_at and adds a history row."""
    before = every_row()
    Source.objects.first().save()
    changed = changed_tables(before, every_row())
    assert set(changed) == {Source._meta.db_table, Source.history.model._meta.db_table}


def test_areas_have_real_codes_ancestors_and_pcodes(seeded):
    kupiansk = Area.objects.get(code=KUPIANSK)
    assert kupiansk.name_en == "Kupiansk" and kupiansk.pcode == "UA6308009001"
    assert [a.code for a in Area.objects.ancestors_of(kupiansk)] == [
        "UA",
        "UA63000000000041885",
        "UA63080000000032022",
        "UA63080090000067457",
    ]
    # Streletsia is Strilecha in Lyptsi hromada; Bryansk is in Russia.
    strilecha = Area.objects.get(code="UA63120090140010487")
    assert strilecha.parent.code == "UA63120090000046130" and strilecha.parent.name_uk == "Липецька"
    assert strilecha.name_en == "Strilecha"
    assert Area.objects.get(code="RU-BRY").parent.code == "RU"


@pytest.mark.parametrize(
    ("spelling", "code"),
    [
        ("Kupyansk", KUPIANSK),
        ("Kup'yansk", KUPIANSK),
        ("Streletsia", "UA63120090140010487"),
        ("Kindrachivka", "UA63080070010082928"),
        ("Kharkov", "UA63120270010096107"),
        ("Zaporizhia", "UA23060070010069526"),
        ("Artemivsk", "UA14020010010059145"),
    ],
)
def test_article_spellings_lead_to_the_right_area(seeded, spelling, code):
    assert [a.code for a in areas_named(spelling)] == [code]


def test_mandatory_order_keeps_its_uncertainty(seeded):
    order = EvacuationOrder.objects.get(uid=seed_uid("kupiansk-district-mandatory-2023-08"))
    assert order.kind == "mandatory"
    assert (order.people_subject, order.people_subject_qualifier) == (12000, "at_most")  # "nearly 12,000"
    assert (order.children_subject, order.children_subject_qualifier) == (600, "at_least")  # "over 600"
    assert {t.area.code for t in order.targets.all()} == {KUPIANSK, "UA63080070010082928"}
    assert {c.source.slug for c in order.citations.all()} == {
        "afp-2023-08-kupiansk-evacuation-call",
        "news-2023-08-kupiansk-mandatory-evacuation",
        "news-2023-kupiansk-district-evacuation",
    }


def test_the_august_2023_call_is_the_one_mandatory_order_issued_by_the_district(seeded):
    """AFP's call of Thursday 10 August 2023 announces the mandatory evacuation: one order, not a
    recommendation a week earlier, and its issuer is the organization kupiansk-rva."""
    order = EvacuationOrder.objects.get()
    assert order.uid == seed_uid("kupiansk-district-mandatory-2023-08")
    assert order.issuing_authority == Organization.objects.get(slug="kupiansk-rva").name
    assert (order.issued_on, order.effective_from) == (datetime.date(2023, 8, 10), datetime.date(2023, 8, 10))
    assert {a.code for a in order.destination_areas.all()} == {"UA63120270010096107"}  # Kharkiv
    afp = Source.objects.get(slug="afp-2023-08-kupiansk-evacuation-call")
    assert (afp.published_on, afp.published_on_precision) == (datetime.date(2023, 8, 10), "day")


def test_september_2022_departures_are_not_an_order_with_an_invented_issuer(seeded):
    assert not EvacuationOrder.objects.filter(effective_from__year=2022).exists()
    departures = Incident.objects.get(uid=seed_uid("kupiansk-departures-2022-09"))
    assert (departures.incident_type, departures.area.code) == ("other", KUPIANSK)
    assert departures.fatalities is None and departures.reporting_organization is None
    assert {c.locator for c in departures.citations.all()} == {"s1", "s10", "s14"}


def test_baseline_is_approximate_and_children_unknown(seeded):
    count = PopulationCount.objects.get(area__code=KUPIANSK, kind="baseline")
    assert (count.total, count.total_qualifier) == (25000, "approximate")
    assert count.children is None and count.children_qualifier == ""


def test_incident_figures_and_unknowns(seeded):
    strilecha = Incident.objects.get(uid=seed_uid("strilecha-psychiatric-hospital-2022-09"))
    assert (strilecha.fatalities, strilecha.injured, strilecha.facility_type) == (4, 2, "health")
    zaporizhzhia = Incident.objects.get(uid=seed_uid("zaporizhzhia-shelling-2023-08"))
    assert (zaporizhzhia.fatalities, zaporizhzhia.fatalities_qualifier) == (2, "at_least")
    assert zaporizhzhia.area.code == "UA23060070010069526"
    missiles = Incident.objects.get(uid=seed_uid("kupiansk-missile-strikes-2023-08"))
    assert missiles.fatalities is None and missiles.injured is None  # "casualties", no number


def test_every_fact_cites_a_source_with_a_locator(seeded):
    for model in (Incident, EvacuationOrder, PopulationCount, ControlDesignation):
        for fact in model.objects.all():
            citations = list(fact.citations.all())
            assert citations, fact
            assert all(c.locator for c in citations), fact


def test_izium_dead_are_a_floor_found_in_september(seeded):
    grave = Incident.objects.get(uid=seed_uid("izium-mass-grave-2022-09"))
    assert (grave.fatalities, grave.fatalities_qualifier) == (443, "at_least")  # still being exhumed
    # The deaths "since February", until at the latest the discovery on Sunday 18 September.
    assert (grave.occurred_on, grave.occurred_on_precision) == (datetime.date(2022, 2, 24), "month")
    assert (grave.occurred_until, grave.discovered_on) == (datetime.date(2022, 9, 18), datetime.date(2022, 9, 18))
    assert grave.injured is None and grave.injured_qualifier == ""


def test_evidence_of_past_violence_does_not_raise_izium_and_trends_are_patterns(seeded):
    from evactrack.status.selectors import status_for_area

    izium = Area.objects.get(code="UA63040090010029555")
    # Only the grave and the detention site are recorded there: evidence, not a present hazard.
    assert status_for_area(area=izium, as_of=datetime.date(2022, 9, 20)).level == "normal"
    patterns = set(Incident.objects.filter(kind="pattern").values_list("uid", flat=True))
    assert seed_uid("kupiansk-shelling-2023-08") in patterns
    assert seed_uid("zaporizhzhia-shelling-2023-08") not in patterns


def test_luhansk_oblast_is_not_occupied_open_ended(seeded):
    """The whole oblast "in full since June" as of a September 2022 report: no designation of
    the whole oblast outlives the report."""
    luhansk = ControlDesignation.objects.get(area__code="UA44000000000018893")
    assert (luhansk.valid_from, luhansk.valid_from_precision) == (datetime.date(2022, 6, 1), "month")
    assert (luhansk.valid_until, luhansk.valid_until_precision) == (datetime.date(2022, 9, 19), "week")


def test_dates_from_afp_thursday_10_august_2023(seeded):
    zaporizhzhia = Incident.objects.get(uid=seed_uid("zaporizhzhia-shelling-2023-08"))
    assert (zaporizhzhia.occurred_on, zaporizhzhia.occurred_on_precision) == (datetime.date(2023, 8, 9), "day")


def test_occupation_then_front_line(seeded):
    designations = ControlDesignation.objects.filter(area__code=KUPIANSK).order_by("valid_from")
    assert [(d.kind, d.valid_from.isoformat(), d.valid_until and d.valid_until.isoformat()) for d in designations] == [
        ("occupied", "2022-02-24", "2022-09-10"),  # fell "in February": month precision
        ("active_hostilities", "2022-09-10", None),
    ]


def test_a_bad_row_is_named_and_nothing_is_loaded(tmp_path):
    bad = SEED_FILE.read_text().replace("area: UA23060070010069526", "area: UA00000000000000000")
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    with pytest.raises(CommandError, match=r"incidents\[zaporizhzhia-shelling-2023-08\].*UA00000000000000000"):
        call_command("seed", file=str(path))
    assert Incident.objects.count() == 0 and Area.objects.count() == 0


def test_setup_run_twice_writes_nothing_the_second_time(django_capture_on_commit_callbacks):
    """`./dev run` imports the gazetteer, then runs `seed`, on every start: the second start
    must find everything in place — no row of any table written (no history, no area touched,
    no status row, no dirty mark) and no recompute sent to the broker."""
    import io
    from unittest import mock

    import yaml

    from locations import gazetteer
    from locations.services import gazetteer_import
    from reports.models import DirtyArea

    seeded_codes = {row["code"] for row in yaml.safe_load(SEED_FILE.read_text())["areas"]}
    # The committed data file's records for the seeded areas: what the real import writes there.
    records = [record for record in gazetteer.records_read(None) if record.code in seeded_codes]

    gazetteer_import(records=records)
    call_command("seed", stdout=io.StringIO())
    # What the first run left for the worker; the second run must not add to it.
    DirtyArea.objects.all().delete()
    before = every_row()

    output = io.StringIO()
    with (
        mock.patch("reports.services.enqueue_recompute_dirty") as enqueue,
        django_capture_on_commit_callbacks(execute=True) as callbacks,
    ):
        gazetteer_import(records=records)
        call_command("seed", stdout=output)

    assert changed_tables(before, every_row()) == {}
    assert not enqueue.called and callbacks == []
    assert "Seeds: created 0, updated 0," in output.getvalue()


def test_an_area_the_seed_corrects_is_reported_as_updated(seeded):
    Area.objects.filter(code=KUPIANSK).update(pcode="UA6308009999")
    summary = seed_load()
    assert summary.updated == {"area": 1}
    assert Area.objects.get(code=KUPIANSK).pcode == "UA6308009001"
