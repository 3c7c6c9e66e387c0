"""Every rule the data must obey, tried through the services: a clear error naming the field,
and nothing else changed. Then the same rule tried past the services, straight at the database."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from reports.models import Citation, DirtyArea, EvacuationOrder, Incident, PopulationCount
from reports.services import CitationInput, TargetInput, incident_create, order_create, population_count_create
from tests.factories import AreaFactory, IncidentFactory, OrderFactory, PopulationCountFactory, SourceFactory

pytestmark = pytest.mark.django_db


def _tables_snapshot():
    return (
        Incident.objects.count(),
        EvacuationOrder.objects.count(),
        PopulationCount.objects.count(),
        Citation.objects.count(),
        DirtyArea.objects.count(),
    )


def assert_refused(call, field):
    before = _tables_snapshot()
    with pytest.raises(ValidationError) as caught:
        call()
    assert field in caught.value.message_dict, caught.value.message_dict
    assert _tables_snapshot() == before


def incident(**overrides):
    fields = {
        "area": AreaFactory(),
        "incident_type": "shelling",
        "occurred_on": datetime.date(2023, 8, 1),
        "summary": "Shelling.",
        "citations": [CitationInput(source=SourceFactory(), locator="¶1")],
    }
    fields.update(overrides)
    return lambda: incident_create(**fields)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"fatalities": -1, "fatalities_qualifier": "exact"}, "fatalities"),
        ({"fatalities": 2, "fatalities_qualifier": ""}, "fatalities_qualifier"),
        ({"injured": None, "injured_qualifier": "exact"}, "injured_qualifier"),
        (
            {
                "fatalities": 2,
                "fatalities_qualifier": "exact",
                "children_killed": 3,
                "children_killed_qualifier": "exact",
            },
            "children_killed",
        ),
        (
            {
                "injured": 1,
                "injured_qualifier": "exact",
                "children_injured": 2,
                "children_injured_qualifier": "at_least",
            },
            "children_injured",
        ),
        ({"incident_type": "picnic"}, "incident_type"),
        ({"occurred_on_precision": "century"}, "occurred_on_precision"),
        ({"geo_precision": "vague"}, "geo_precision"),
        ({"latitude": 91, "longitude": 30}, "latitude"),
        ({"latitude": 49.7, "longitude": None}, "latitude"),
        ({"occurred_on": timezone.localdate() + datetime.timedelta(days=1)}, "occurred_on"),
        ({"verification_state": "verified"}, "verified_at"),
        ({"summary": "nul\x00byte"}, "summary"),
        ({"citations": []}, "citations"),
        ({"no_such_field": 1}, "no_such_field"),
    ],
)
def test_incident_rules(overrides, field):
    assert_refused(incident(**overrides), field)


def test_unknown_is_not_zero():
    created = incident()()
    created.refresh_from_db()
    assert created.fatalities is None
    assert created.fatalities_qualifier == ""


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"effective_until": datetime.date(2023, 8, 1)}, "effective_until"),
        ({"lifted_on": datetime.date(2023, 8, 1), "state": "lifted"}, "lifted_on"),
        ({"state": "lifted"}, "lifted_on"),
        ({"issued_on": datetime.date(2023, 8, 11)}, "issued_on"),
        (
            {
                "people_subject": 10,
                "people_subject_qualifier": "exact",
                "children_subject": 11,
                "children_subject_qualifier": "exact",
            },
            "children_subject",
        ),
        ({"kind": "optional"}, "kind"),
        ({"population_group": "cats"}, "population_group"),
        ({"state": "paused"}, "state"),
    ],
)
def test_order_rules(overrides, field):
    fields = {
        "title": "Order",
        "issuing_authority": "Authority",
        "kind": "mandatory",
        "effective_from": datetime.date(2023, 8, 10),
        "summary": "Order.",
        "citations": [CitationInput(source=SourceFactory())],
        "targets": [TargetInput(area=AreaFactory())],
        **overrides,
    }
    assert_refused(lambda: order_create(**fields), field)


def test_order_needs_a_target_and_each_target_once():
    area = AreaFactory()
    source = SourceFactory()
    common = {
        "title": "O",
        "issuing_authority": "A",
        "kind": "mandatory",
        "summary": "s",
        "effective_from": datetime.date(2023, 8, 10),
        "citations": [CitationInput(source=source)],
    }
    assert_refused(lambda: order_create(targets=[], **common), "targets")
    assert_refused(lambda: order_create(targets=[TargetInput(area), TargetInput(area, "single")], **common), "targets")


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"total": 10, "children": 11, "children_qualifier": "exact"}, "children"),
        ({"total": None, "total_qualifier": ""}, "total"),
        ({"kind": "guessed"}, "kind"),
        ({"method": "dowsing"}, "method"),
        ({"reference_date": timezone.localdate() + datetime.timedelta(days=30)}, "reference_date"),
    ],
)
def test_population_count_rules(overrides, field):
    fields = {
        "area": AreaFactory(),
        "kind": "baseline",
        "reference_date": datetime.date(2022, 1, 1),
        "total": 100,
        "total_qualifier": "exact",
        "method": "census",
        "summary": "Count.",
        "citations": [CitationInput(source=SourceFactory())],
        **overrides,
    }
    assert_refused(lambda: population_count_create(**fields), field)


def test_children_may_be_known_without_a_total():
    count = PopulationCountFactory(total=None, total_qualifier="", children=600, children_qualifier="at_least")
    assert count.total is None and count.children == 600


@pytest.mark.parametrize(
    ("model_factory", "update"),
    [
        (IncidentFactory, {"fatalities": -5, "fatalities_qualifier": "exact"}),
        (
            IncidentFactory,
            {
                "fatalities": 1,
                "fatalities_qualifier": "exact",
                "children_killed": 2,
                "children_killed_qualifier": "exact",
            },
        ),
        (IncidentFactory, {"incident_type": "picnic"}),
        (OrderFactory, {"effective_until": datetime.date(2000, 1, 1)}),
        (PopulationCountFactory, {"children": 5000, "children_qualifier": "exact"}),
        (PopulationCountFactory, {"total_qualifier": "roughly"}),
    ],
)
def test_database_refuses_what_skips_the_services(model_factory, update):
    """The constraints live in the database too: a raw UPDATE cannot break them."""
    fact = model_factory()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(fact).objects.filter(pk=fact.pk).update(**update)
