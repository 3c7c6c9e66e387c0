"""A small Kupiansk: its ancestors, another spelling, and one fact of each kind citing a source."""

import datetime
from dataclasses import dataclass

from evactrack.access.models import Organization
from locations.choices import AreaCategory
from locations.models import Area
from locations.services import area_alias_add, area_upsert
from reports.models import ControlDesignation, EvacuationOrder, Incident, PopulationCount, Source
from tests.factories import (
    DesignationFactory,
    IncidentFactory,
    OrderFactory,
    OrganizationFactory,
    PopulationCountFactory,
    SourceFactory,
)

KUPIANSK_CODE = "UA63080090010026457"


@dataclass
class Kupiansk:
    oblast: Area
    raion: Area
    hromada: Area
    city: Area
    source: Source
    organization: Organization
    incident: Incident
    order: EvacuationOrder
    count: PopulationCount
    designation: ControlDesignation


def kupiansk_with_facts() -> Kupiansk:
    country, _ = area_upsert(code="UA", name_uk="Україна", name_en="Ukraine", category=AreaCategory.COUNTRY)
    oblast, _ = area_upsert(code="UA63000000000041885", name_uk="Харківська", category="oblast", parent=country)
    raion, _ = area_upsert(code="UA63080000000058627", name_uk="Куп'янський", category="raion", parent=oblast)
    hromada, _ = area_upsert(code="UA63080090000053398", name_uk="Куп'янська", category="hromada", parent=raion)
    city, _ = area_upsert(
        code=KUPIANSK_CODE, name_uk="Куп'янськ", category="city", parent=hromada, latitude=49.7106, longitude=37.6156
    )
    area_alias_add(area=city, name="Kupyansk", kind="russian", language="en")
    source = SourceFactory(slug="kupiansk-article", title="Kupiansk evacuation report", publisher="Test Wire")
    organization = OrganizationFactory(name="Test NGO", slug="test-ngo")
    return Kupiansk(
        oblast=oblast,
        raion=raion,
        hromada=hromada,
        city=city,
        source=source,
        organization=organization,
        incident=IncidentFactory(
            area=city,
            source=source,
            summary="Shelling of the city centre.",
            fatalities=2,
            fatalities_qualifier="exact",
            reporting_organization=organization,
        ),
        order=OrderFactory(
            area=hromada,
            source=source,
            title="Mandatory evacuation of Kupiansk hromada",
            people_subject=12000,
            people_subject_qualifier="at_most",
            effective_from=datetime.date(2023, 8, 10),
        ),
        count=PopulationCountFactory(area=city, source=source, kind="present", total=12000, total_qualifier="at_most"),
        designation=DesignationFactory(
            area=city,
            source=source,
            valid_from=datetime.date(2022, 2, 27),
            valid_until=datetime.date(2022, 9, 10),
            valid_until_precision="day",
        ),
    )
