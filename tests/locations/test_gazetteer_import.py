"""The gazetteer import: the tree it builds, what it refuses, idempotency, and what it never deletes."""

import ast
import datetime
import gzip
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from locations import gazetteer
from locations.models import Area, AreaAlias
from locations.services import gazetteer_import
from reports.models import Citation, PopulationCount
from tests.factories import IncidentFactory
from tests.locations.conftest import SMALL_CODIFIER, small_records

pytestmark = pytest.mark.django_db

KUPIANSK = "UA63080090010026457"
KHARKIV_OBLAST = "UA63000000000041885"


def writes(queries):
    return [q["sql"] for q in queries if q["sql"].split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE")]


def test_the_codifier_becomes_a_tree_with_codes_levels_pcodes_and_paths(small_gazetteer):
    summary = small_gazetteer
    assert summary.created == Area.objects.count()
    # The two broken rows at the end of the fixture: an unknown letter, an orphan.
    assert summary.skipped == 2
    assert any("unknown category letter 'Z'" in problem for problem in summary.problems)
    assert any("UA63990010010000001" in problem for problem in summary.problems)

    kupiansk = Area.objects.get(code=KUPIANSK)
    assert (kupiansk.category, kupiansk.level, kupiansk.name_uk, kupiansk.name_en) == (
        "city",
        "settlement",
        "Куп’янськ",
        "Kupiansk",
    )
    assert kupiansk.pcode == "UA6308009001"
    assert kupiansk.path == f"UA/{KHARKIV_OBLAST}/UA63080000000032022/UA63080090000067457/{KUPIANSK}/"
    assert kupiansk.is_hromada_centre
    assert (kupiansk.latitude, kupiansk.population) == (49.71003, 27169)
    assert [a.pcode for a in Area.objects.ancestors_of(kupiansk)] == ["UA", "UA63", "UA6308", "UA6308009"]

    kyiv = Area.objects.get(code="UA80000000000093317")
    assert (kyiv.category, kyiv.level, kyiv.parent.code) == ("special_status_city", "oblast", "UA")
    pechersk = Area.objects.get(name_uk="Печерський")
    assert (pechersk.level, pechersk.parent_id, pechersk.pcode) == ("city_district", kyiv.pk, "")
    kharkiv_district = Area.objects.get(name_uk="Салтівський")
    assert kharkiv_district.parent.code == "UA63120270010096107"


def test_aliases_hold_official_names_variants_and_geonames_spellings(small_gazetteer):
    names = dict(AreaAlias.objects.filter(area__code=KUPIANSK).values_list("name", "kind"))
    assert names["Куп’янськ"] == "official_uk"
    assert names["Kupiansk"] == "official_en"
    assert names["Купянск"] == "russian"
    # One row per normalized spelling: Kupyansk (from the Russian form, and the BGN variant) once.
    normalized = list(AreaAlias.objects.filter(area__code=KUPIANSK).values_list("normalized", flat=True))
    assert normalized.count("kupyansk") == 1
    assert "kondrashovka" in AreaAlias.objects.filter(area__code="UA63080070010082928").values_list(
        "normalized", flat=True
    )
    # The seat's name finds the raion and the hromada ("Kupiansk raion").
    raion_names = set(AreaAlias.objects.filter(area__code="UA63080000000032022").values_list("normalized", flat=True))
    assert "kupiansk" in raion_names


def test_a_second_import_of_unchanged_data_writes_nothing(small_gazetteer):
    with CaptureQueriesContext(connection) as queries:
        summary = gazetteer_import(records=small_records())
    assert (summary.created, summary.updated, summary.aliases_created) == (0, 0, 0)
    assert summary.unchanged == Area.objects.count()
    assert writes(queries.captured_queries) == []


def test_alias_keys_written_by_older_rules_are_refreshed(small_gazetteer):
    AreaAlias.objects.filter(area__code=KUPIANSK, name="Kupiansk").update(key="stale")
    summary = gazetteer_import(records=small_records())
    assert summary.aliases_refreshed == 1
    assert AreaAlias.objects.get(area__code=KUPIANSK, name="Kupiansk").key == "kupansk"


def test_a_changed_name_is_updated_with_history_and_the_old_name_stays_findable(small_gazetteer):
    records = small_records()
    for record in records:
        if record.code == KUPIANSK:
            record.name_uk, record.name_en = "Нова Назва", ""
    summary = gazetteer_import(records=records)
    assert (summary.created, summary.updated) == (0, 1)
    kupiansk = Area.objects.get(code=KUPIANSK)
    assert (kupiansk.name_uk, kupiansk.name_en) == ("Нова Назва", "Nova Nazva")
    assert kupiansk.history.first().name_uk == "Нова Назва"
    assert AreaAlias.objects.filter(area=kupiansk, name="Куп’янськ").exists()


def test_an_area_that_reports_reference_is_never_deleted(small_gazetteer):
    kindrashivka = Area.objects.get(code="UA63080070010082928")
    IncidentFactory(area=kindrashivka)
    records = [r for r in small_records() if not r.code.startswith(("UA63080070", "UA48"))]
    summary = gazetteer_import(records=records, prune=True)
    assert Area.objects.filter(pk=kindrashivka.pk).exists()
    assert Area.objects.filter(code="UA63080070000080622").exists()  # its hromada: the village needs it
    assert not Area.objects.filter(code__startswith="UA48").exists()
    assert summary.kept_referenced == 2
    assert summary.deleted > 0


def test_without_prune_nothing_is_deleted(small_gazetteer):
    before = Area.objects.count()
    summary = gazetteer_import(records=[r for r in small_records() if not r.code.startswith("UA48")])
    assert Area.objects.count() == before
    assert summary.stale > 0 and summary.deleted == 0


def test_the_data_file_round_trips(tmp_path):
    records = small_records()
    path = tmp_path / "g.jsonl.gz"
    gazetteer.data_file_write(records, path)
    again = gazetteer.data_file_read(path)
    assert [(r.code, r.parent, r.letter, r.name_uk, r.name_en, r.population, r.aliases) for r in again] == [
        (r.code, r.parent, r.letter, r.name_uk, r.name_en, r.population, r.aliases) for r in records
    ]
    # Identical data gives identical bytes: a rebuild of unchanged inputs shows no diff.
    first = path.read_bytes()
    gazetteer.data_file_write(records, path)
    assert path.read_bytes() == first
    with gzip.open(path, "rt") as handle:
        assert json.loads(handle.readline())["code"] == "UA"


def test_the_command_imports_a_codifier_csv_and_records_geonames_populations(tmp_path, capsys):
    path = tmp_path / "small.jsonl.gz"
    gazetteer.data_file_write(small_records(), path)
    call_command("import_gazetteer", source=str(path))
    summary = capsys.readouterr().out
    assert "created" in summary and "population counts: 5 created" in summary
    count = PopulationCount.objects.get(area__code=KUPIANSK)
    assert (count.kind, count.method, count.total, count.total_qualifier) == (
        "baseline",
        "gazetteer",
        27169,
        "approximate",
    )
    assert count.reference_date == datetime.date(2022, 1, 1)
    citation = Citation.objects.get(population_count=count)
    assert (citation.source.slug, citation.locator) == ("geonames", "geonameid 704147")

    call_command("import_gazetteer", source=str(path))
    assert "0 created, 0 updated" in capsys.readouterr().out
    assert PopulationCount.objects.count() == 5

    call_command("import_gazetteer", source=str(SMALL_CODIFIER), no_counts=True)
    assert "skipped" in capsys.readouterr().out


def test_the_library_code_of_locations_never_imports_reports():
    """docs/DESIGN.md: locations imports no other app. Only the import command composes the two."""
    root = gazetteer.DATA_DIR.parent
    core = ["models.py", "choices.py", "names.py", "services.py", "selectors.py", "resolver.py", "gazetteer.py"]
    imported = set()
    for name in core:
        for node in ast.walk(ast.parse((root / name).read_text())):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module:
                imported.add(node.module.split(".")[0])
    assert not imported & {"reports", "seeds", "status"}
