"""Each incident keeps its area's oblast and raion (Incident.oblast): set by every write path,
and brought up to date when the tree changes above the area."""

import dataclasses

import pytest

from locations.models import Area
from locations.services import area_upsert, gazetteer_import
from reports.filtersets import IncidentFilterSet
from reports.models import Incident
from reports.services import CitationInput, incident_create_many, incident_update, incidents_locate
from tests.factories import IncidentFactory, SourceFactory
from tests.locations.conftest import small_records

pytestmark = pytest.mark.django_db

KHARKIV_OBLAST, KUPIANSK_RAION, KHARKIV_RAION = "UA63000000000041885", "UA63080000000032022", "UA63120000000091135"
VELYKYI_BURLUK = "UA63080010000040281"  # a hromada of Kupiansk raion in the small codifier


def place(incident) -> tuple[str | None, str | None]:
    incident = Incident.objects.select_related("oblast", "raion").get(pk=incident.pk)
    return (incident.oblast and incident.oblast.code, incident.raion and incident.raion.code)


@pytest.fixture
def tree():
    country, _ = area_upsert(code="UA", name_uk="Україна", category="country")
    oblast, _ = area_upsert(code=KHARKIV_OBLAST, name_uk="Харківська", category="oblast", parent=country)
    kupiansk, _ = area_upsert(code=KUPIANSK_RAION, name_uk="Куп'янський", category="raion", parent=oblast)
    kharkiv, _ = area_upsert(code=KHARKIV_RAION, name_uk="Харківський", category="raion", parent=oblast)
    hromada, _ = area_upsert(code=VELYKYI_BURLUK, name_uk="Великобурлуцька", category="hromada", parent=kupiansk)
    village, _ = area_upsert(code="UA63080010320060330", name_uk="Шевченкове", category="village", parent=hromada)
    return {"country": country, "oblast": oblast, "kupiansk": kupiansk, "kharkiv": kharkiv, "village": village}


def test_every_write_sets_the_oblast_and_raion_of_the_area(tree):
    in_village = IncidentFactory(area=tree["village"])
    at_oblast = IncidentFactory(area=tree["oblast"])
    at_country = IncidentFactory(area=tree["country"])
    assert place(in_village) == (KHARKIV_OBLAST, KUPIANSK_RAION)
    assert place(at_oblast) == (KHARKIV_OBLAST, None)
    assert place(at_country) == (None, None)

    incident_update(incident=in_village, area=tree["kharkiv"])
    assert place(in_village) == (KHARKIV_OBLAST, KHARKIV_RAION)
    incident_update(incident=in_village, summary="No change of area.")
    assert place(in_village) == (KHARKIV_OBLAST, KHARKIV_RAION)

    source = SourceFactory()
    rows = [
        {"area": area, "incident_type": "shelling", "occurred_on": at_oblast.occurred_on, "summary": "Bulk.",
         "citations": [CitationInput(source=source, locator="¶1")]}
        for area in (tree["village"], tree["country"])
    ]  # fmt: skip
    assert [place(incident) for incident in incident_create_many(rows=rows)] == [
        (KHARKIV_OBLAST, KUPIANSK_RAION),
        (None, None),
    ]


def test_incidents_follow_an_area_moved_to_another_raion(tree):
    """A reform moves a hromada to another raion: its incidents' raion follows, and a list
    within the new raion shows them."""
    incident = IncidentFactory(area=tree["village"])
    area_upsert(code=VELYKYI_BURLUK, name_uk="Великобурлуцька", category="hromada", parent=tree["kharkiv"])
    assert place(incident) == (KHARKIV_OBLAST, KHARKIV_RAION)
    for raion, expected in ((KHARKIV_RAION, [incident]), (KUPIANSK_RAION, [])):
        assert list(IncidentFilterSet({"within": raion}, queryset=Incident.objects.all()).qs) == expected


def test_incidents_follow_areas_the_gazetteer_moves():
    gazetteer_import(records=small_records())
    incident = IncidentFactory(area=Area.objects.get(code="UA63080010320060330"))
    assert place(incident) == (KHARKIV_OBLAST, KUPIANSK_RAION)
    moved = [
        dataclasses.replace(record, parent=KHARKIV_RAION) if record.code == VELYKYI_BURLUK else record
        for record in small_records()
    ]
    summary = gazetteer_import(records=moved)
    assert summary.updated >= 2, summary.problems  # the hromada and its settlements
    assert place(incident) == (KHARKIV_OBLAST, KHARKIV_RAION)


def test_incidents_inserted_without_the_services_are_located_on_demand(tree):
    """Benchmarks insert incidents in bulk; incidents_locate sets what the services would have,
    writes nothing the second time, and can be limited to a subtree."""
    incident = IncidentFactory(area=tree["village"])
    Incident.objects.filter(pk=incident.pk).update(oblast=None, raion=None)
    assert incidents_locate(under=[tree["kharkiv"].path]) == 0
    assert incidents_locate(under=[tree["kupiansk"].path]) == 1
    assert place(incident) == (KHARKIV_OBLAST, KUPIANSK_RAION)
    assert incidents_locate() == 0
