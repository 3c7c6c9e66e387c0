"""factory_boy factories. Writes go through the services, as everywhere else."""

import datetime

import factory

from evactrack.access.models import Organization
from locations.choices import AreaCategory
from locations.models import Area
from locations.services import area_upsert
from reports.choices import CountKind, CountMethod, IncidentType, OrderKind
from reports.models import Source
from reports.services import (
    CitationInput,
    TargetInput,
    designation_create,
    incident_create,
    order_create,
    population_count_create,
    source_upsert,
)


class AreaFactory(factory.Factory):
    """A settlement with its whole chain of ancestors (country, oblast, raion, hromada)."""

    class Meta:
        model = Area

    code = factory.Sequence(lambda n: f"UA99{n:015d}")
    name_uk = factory.Sequence(lambda n: f"Тестове {n}")
    category = AreaCategory.VILLAGE
    parent = None

    @classmethod
    def _create(cls, model_class, *, code, name_uk, category, parent, **fields):
        if parent is None and category != AreaCategory.COUNTRY:
            parent = default_hromada()
        area, _created = area_upsert(code=code, name_uk=name_uk, category=category, parent=parent, **fields)
        return area


def default_hromada() -> Area:
    country, _ = area_upsert(code="UA", name_uk="Україна", name_en="Ukraine", category=AreaCategory.COUNTRY)
    oblast, _ = area_upsert(code="UA98000000000000001", name_uk="Тестова", category="oblast", parent=country)
    raion, _ = area_upsert(code="UA98010000000000002", name_uk="Тестовий", category="raion", parent=oblast)
    hromada, _ = area_upsert(code="UA98010010000000003", name_uk="Тестова громада", category="hromada", parent=raion)
    return hromada


class SourceFactory(factory.Factory):
    class Meta:
        model = Source

    slug = factory.Sequence(lambda n: f"source-{n}")
    title = factory.Sequence(lambda n: f"Report {n}")
    publisher = "Test Wire"

    @classmethod
    def _create(cls, model_class, *, slug, title, **fields):
        source, _created = source_upsert(slug=slug, title=title, **fields)
        return source


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Organization {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")
    kind = "ngo"


def _citations(source):
    return [CitationInput(source=source or SourceFactory(), locator="¶1")]


class IncidentFactory(factory.Factory):
    class Meta:
        model = dict

    area = factory.SubFactory(AreaFactory)
    incident_type = IncidentType.SHELLING
    occurred_on = factory.LazyFunction(lambda: datetime.date(2023, 8, 10))
    summary = "Shelling reported."
    source = None

    @classmethod
    def _create(cls, model_class, *, source, **fields):
        return incident_create(citations=_citations(source), **fields)


class OrderFactory(factory.Factory):
    class Meta:
        model = dict

    area = factory.SubFactory(AreaFactory)
    scope = "subtree"
    title = "Evacuation order"
    issuing_authority = "District military administration"
    kind = OrderKind.MANDATORY
    effective_from = datetime.date(2023, 8, 10)
    summary = "Mandatory evacuation ordered."
    source = None

    @classmethod
    def _create(cls, model_class, *, area, scope, source, **fields):
        return order_create(citations=_citations(source), targets=[TargetInput(area=area, scope=scope)], **fields)


class PopulationCountFactory(factory.Factory):
    class Meta:
        model = dict

    area = factory.SubFactory(AreaFactory)
    kind = CountKind.BASELINE
    reference_date = datetime.date(2022, 1, 1)
    total = 1000
    total_qualifier = "exact"
    method = CountMethod.CENSUS
    summary = "Pre-war population."
    source = None

    @classmethod
    def _create(cls, model_class, *, source, **fields):
        return population_count_create(citations=_citations(source), **fields)


class DesignationFactory(factory.Factory):
    class Meta:
        model = dict

    area = factory.SubFactory(AreaFactory)
    kind = "occupied"
    valid_from = datetime.date(2022, 2, 27)
    summary = "Occupied."
    source = None

    @classmethod
    def _create(cls, model_class, *, source, **fields):
        return designation_create(citations=_citations(source), **fields)
