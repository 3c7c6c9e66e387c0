"""The article seeds: real codes, our figures with their uncertainty, citations, idempotency."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from locations.models import Area
from locations.selectors import areas_named
from reports.models import Citation, ControlDesignation, EvacuationOrder, Incident, PopulationCount, Source
from seeds.loader import SEED_FILE, seed_load, seed_uid

pytestmark = pytest.mark.django_db

KUPIANSK = "UA63080090010026457"


@pytest.fixture
def seeded():
    seed_load()


def row_counts():
    models = [Area, Source, Incident, EvacuationOrder, PopulationCount, ControlDesignation, Citation]
    history = [Incident.history.model, EvacuationOrder.history.model, Area.history.model]
    return {m.__name__: m.objects.count() for m in models + history}


def test_loading_twice_gives_the_same_rows_and_no_new_history(seeded):
    before = row_counts()
    summary = seed_load()
    assert row_counts() == before
    assert sum(summary.created.values()) == 0 and sum(summary.updated.values()) == 0


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
        "news-2023-08-kupiansk-mandatory-evacuation",
        "news-2023-kupiansk-district-evacuation",
    }


def test_orders_name_their_destinations(seeded):
    destinations = {
        order.uid: {a.code for a in order.destination_areas.all()} for order in EvacuationOrder.objects.all()
    }
    # The Shevchenkove buses went to is the town in Kupiansk raion.
    assert destinations[seed_uid("kupiansk-evacuation-2022-09")] == {"UA63080150010082504"}
    assert destinations[seed_uid("kupiansk-evacuation-recommended-2023-08")] == {"UA63120270010096107"}


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


def test_occupation_then_front_line(seeded):
    designations = ControlDesignation.objects.filter(area__code=KUPIANSK).order_by("valid_from")
    assert [(d.kind, d.valid_from.isoformat(), d.valid_until and d.valid_until.isoformat()) for d in designations] == [
        ("occupied", "2022-02-24", "2022-09-10"),
        ("active_hostilities", "2022-09-10", None),
    ]


def test_no_article_sentence_is_stored():
    """Our summaries and notes are our own words: no run of 8 words from an article."""
    import re
    from pathlib import Path

    import yaml

    articles = " ".join(p.read_text() for p in (Path(__file__).parents[3] / "shared" / "seeds").glob("*.txt"))
    if not articles:
        pytest.skip("../shared/seeds is not beside this checkout")
    words = re.findall(r"\w+", articles.lower())
    shingles = {" ".join(words[i : i + 8]) for i in range(len(words) - 7)}
    data = yaml.safe_load(SEED_FILE.read_text())
    texts = [
        row["summary"]
        for section in ("sources", "designations", "incidents", "orders", "population_counts")
        for row in data[section]
    ]
    texts += [
        c.get("note", "")
        for section in ("designations", "incidents", "orders", "population_counts")
        for row in data[section]
        for c in row["citations"]
    ]
    for text in texts:
        own = re.findall(r"\w+", text.lower())
        copied = [" ".join(own[i : i + 8]) for i in range(len(own) - 7) if " ".join(own[i : i + 8]) in shingles]
        assert not copied, f"copied from an article: {copied[0]!r}"


def test_a_bad_row_is_named_and_nothing_is_loaded(tmp_path):
    bad = SEED_FILE.read_text().replace("area: UA23060070010069526", "area: UA00000000000000000")
    path = tmp_path / "bad.yaml"
    path.write_text(bad)
    with pytest.raises(CommandError, match=r"incidents\[zaporizhzhia-shelling-2023-08\].*UA00000000000000000"):
        call_command("seed", file=str(path))
    assert Incident.objects.count() == 0 and Area.objects.count() == 0


def test_readme_has_a_row_for_every_citation():
    import yaml

    readme = (SEED_FILE.parents[1] / "README.md").read_text()
    data = yaml.safe_load(SEED_FILE.read_text())
    for section in ("designations", "incidents", "orders", "population_counts"):
        for row in data[section]:
            for citation in row["citations"]:
                assert f"| {citation['locator']} | `{row['key']}` |" in readme, (row["key"], citation["locator"])


def test_setup_run_twice_writes_nothing_the_second_time():
    """`./dev run` imports the gazetteer, then runs `seed`, on every start: the second start
    must find everything in place (no history, no area touched, no recompute queued)."""
    import io

    import yaml
    from django.apps import apps

    from evactrack.status.models import StatusChange
    from locations import gazetteer
    from locations.services import gazetteer_import
    from reports.models import DirtyArea

    seeded_codes = {row["code"] for row in yaml.safe_load(SEED_FILE.read_text())["areas"]}
    # The committed data file's records for the seeded areas: what the real import writes there.
    records = [record for record in gazetteer.records_read(None) if record.code in seeded_codes]

    def snapshot():
        history = {m.__name__: m.objects.count() for m in apps.get_models() if m.__name__.startswith("Historical")}
        history["StatusChange"] = StatusChange.objects.count()
        return history, dict(Area.objects.values_list("code", "updated_at"))

    gazetteer_import(records=records)
    call_command("seed", stdout=io.StringIO())
    DirtyArea.objects.all().delete()
    before = snapshot()

    gazetteer_import(records=records)
    output = io.StringIO()
    call_command("seed", stdout=output)

    assert snapshot() == before
    assert not DirtyArea.objects.exists()
    assert "Seeds: created 0, updated 0," in output.getvalue()


def test_an_area_the_seed_corrects_is_reported_as_updated(seeded):
    Area.objects.filter(code=KUPIANSK).update(pcode="UA6308009999")
    summary = seed_load()
    assert summary.updated == {"area": 1}
    assert Area.objects.get(code=KUPIANSK).pcode == "UA6308009001"
