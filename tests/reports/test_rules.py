"""Every rule the data must obey, tried through the services: a clear error naming the field,
and nothing else changed. Then the same rule tried past the services, straight at the database."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from reports.choices import IncidentType, VerificationState
from reports.importing import IncidentImporter, PopulationCountImporter
from reports.models import (
    CITATIONS_PER_FACT_MAX,
    FACT_SUMMARY_MAX_LENGTH,
    REVIEW_NOTE_MAX_LENGTH,
    SOURCE_SUMMARY_MAX_LENGTH,
    Citation,
    ControlDesignation,
    DirtyArea,
    EvacuationOrder,
    Incident,
    PopulationCount,
    Source,
)
from reports.services import (
    CitationInput,
    TargetInput,
    designation_create,
    incident_create,
    incident_create_many,
    incident_review,
    incident_update,
    order_create,
    order_lift,
    population_count_create,
    source_upsert,
)
from tests.factories import (
    AreaFactory,
    DesignationFactory,
    IncidentFactory,
    OrderFactory,
    PopulationCountFactory,
    SourceFactory,
)

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
        # children ≤ civilians ≤ everyone, each where both are known.
        (
            {
                "fatalities": 2,
                "fatalities_qualifier": "exact",
                "civilians_killed": 3,
                "civilians_killed_qualifier": "at_least",
            },
            "civilians_killed",
        ),
        (
            {
                "injured": 1,
                "injured_qualifier": "exact",
                "civilians_injured": 2,
                "civilians_injured_qualifier": "exact",
            },
            "civilians_injured",
        ),
        (
            {
                "civilians_killed": 1,
                "civilians_killed_qualifier": "exact",
                "children_killed": 2,
                "children_killed_qualifier": "exact",
            },
            "children_killed",
        ),
        (
            {
                "civilians_injured": 0,
                "civilians_injured_qualifier": "exact",
                "children_injured": 1,
                "children_injured_qualifier": "approximate",
            },
            "children_injured",
        ),
        ({"civilians_killed": -1, "civilians_killed_qualifier": "exact"}, "civilians_killed"),
        ({"civilians_injured": 4, "civilians_injured_qualifier": ""}, "civilians_injured_qualifier"),
        ({"kind": "trend"}, "kind"),
        ({"discovered_on": datetime.date(2023, 7, 31)}, "discovered_on"),  # before it occurred
        ({"discovered_on": timezone.localdate() + datetime.timedelta(days=1)}, "discovered_on"),
        ({"discovered_on": datetime.date(2013, 12, 31), "occurred_on": datetime.date(2013, 12, 1)}, "discovered_on"),
        ({"incident_type": "picnic"}, "incident_type"),
        ({"occurred_on_precision": "century"}, "occurred_on_precision"),
        ({"geo_precision": "vague"}, "geo_precision"),
        ({"latitude": 91, "longitude": 30}, "latitude"),
        ({"latitude": 49.7, "longitude": None}, "latitude"),
        ({"occurred_on": timezone.localdate() + datetime.timedelta(days=1)}, "occurred_on"),
        ({"summary": "nul\x00byte"}, "summary"),
        ({"citations": []}, "citations"),
        ({"summary": "x" * (FACT_SUMMARY_MAX_LENGTH + 1)}, "summary"),
        ({"occurred_on": datetime.date(1, 1, 1)}, "occurred_on"),
        ({"occurred_on": datetime.date(2013, 12, 31)}, "occurred_on"),
    ],
)
def test_incident_rules(overrides, field):
    assert_refused(incident(**overrides), field)


@pytest.mark.parametrize("overrides", [{"verification_state": "verified"}, {"no_such_field": 1}])
def test_incident_create_takes_only_its_fields(overrides):
    before = _tables_snapshot()
    with pytest.raises(TypeError):
        incident(**overrides)()
    assert _tables_snapshot() == before


@pytest.mark.parametrize(
    "review",
    [
        {"verification_state": VerificationState.VERIFIED},
        {"verification_note": "Looks right."},
        {"verified_by": None},
        {"verified_at": None},
    ],
)
def test_incident_update_cannot_review(review):
    """Only incident_review changes the review, with its rule that a rejection needs a note."""
    created = IncidentFactory()
    with pytest.raises(TypeError):
        incident_update(incident=created, **review)
    created.refresh_from_db()
    assert created.verification_state == VerificationState.REPORTED


def test_incident_update_sets_null_and_keeps_what_it_is_not_given():
    created = IncidentFactory(latitude=49.7, longitude=37.6, fatalities=2, fatalities_qualifier="exact")
    incident_update(incident=created, fatalities=None, fatalities_qualifier="")
    created.refresh_from_db()
    assert (created.fatalities, created.fatalities_qualifier) == (None, "")
    assert (created.latitude, created.longitude, created.summary) == (49.7, 37.6, "Shelling reported.")
    assert created.incident_type == IncidentType.SHELLING


def test_create_many_refuses_a_key_its_service_does_not_take():
    row = {
        "area": AreaFactory(),
        "incident_type": "shelling",
        "occurred_on": datetime.date(2023, 8, 1),
        "summary": "Shelling.",
        "citations": [CitationInput(source=SourceFactory())],
        "verification_state": "verified",
    }
    before = _tables_snapshot()
    with pytest.raises(TypeError, match="verification_state"):
        incident_create_many(rows=[row])
    assert _tables_snapshot() == before


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
        ({"summary": "x" * (FACT_SUMMARY_MAX_LENGTH + 1)}, "summary"),
        ({"issued_on": datetime.date(2013, 1, 1)}, "issued_on"),
        ({"effective_from": datetime.date(1, 1, 1)}, "effective_from"),
        (
            {"effective_from": datetime.date(2013, 1, 1), "effective_until": datetime.date(2013, 2, 1)},
            "effective_until",
        ),
        (
            {"effective_from": datetime.date(2013, 1, 1), "lifted_on": datetime.date(2013, 2, 1), "state": "lifted"},
            "lifted_on",
        ),
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
        ({"reference_date": datetime.date(2001, 12, 5)}, "reference_date"),
        ({"summary": "x" * (FACT_SUMMARY_MAX_LENGTH + 1)}, "summary"),
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
        (IncidentFactory, {"summary": "x" * (FACT_SUMMARY_MAX_LENGTH + 1)}),
        (IncidentFactory, {"verification_note": "x" * (REVIEW_NOTE_MAX_LENGTH + 1)}),
        (OrderFactory, {"summary": "x" * (FACT_SUMMARY_MAX_LENGTH + 1)}),
        (PopulationCountFactory, {"summary": "x" * (FACT_SUMMARY_MAX_LENGTH + 1)}),
        (DesignationFactory, {"summary": "x" * (FACT_SUMMARY_MAX_LENGTH + 1)}),
        (SourceFactory, {"summary": "x" * (SOURCE_SUMMARY_MAX_LENGTH + 1)}),
    ],
)
def test_database_refuses_what_skips_the_services(model_factory, update):
    """The constraints live in the database too: a raw UPDATE cannot break them."""
    fact = model_factory()
    with pytest.raises(IntegrityError), transaction.atomic():
        type(fact).objects.filter(pk=fact.pk).update(**update)


# --- bounds: dates, citations, text ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"valid_from": datetime.date(1, 1, 1)}, "valid_from"),
        ({"valid_from": datetime.date(2013, 1, 1), "valid_until": datetime.date(2013, 6, 1),
          "valid_until_precision": "day"}, "valid_until"),
        ({"summary": "x" * (FACT_SUMMARY_MAX_LENGTH + 1)}, "summary"),
    ],
)  # fmt: skip
def test_designation_rules(overrides, field):
    fields = {
        "area": AreaFactory(),
        "kind": "occupied",
        "valid_from": datetime.date(2022, 2, 27),
        "summary": "Occupied.",
        "citations": [CitationInput(source=SourceFactory())],
        **overrides,
    }
    before = ControlDesignation.objects.count()
    with pytest.raises(ValidationError) as caught:
        designation_create(**fields)
    assert field in caught.value.message_dict, caught.value.message_dict
    assert ControlDesignation.objects.count() == before


def test_the_earliest_date_is_the_setting_and_itself_allowed(settings):
    assert datetime.date(2014, 1, 1) == settings.EVACTRACK_EARLIEST_FACT_DATE
    assert incident(occurred_on=datetime.date(2014, 1, 1))().occurred_on == datetime.date(2014, 1, 1)
    settings.EVACTRACK_EARLIEST_FACT_DATE = datetime.date(2022, 2, 24)
    assert_refused(incident(occurred_on=datetime.date(2022, 2, 23)), "occurred_on")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"summary": "x" * (SOURCE_SUMMARY_MAX_LENGTH + 1)}, "summary"),
        ({"published_on": datetime.date(1, 1, 1), "published_on_precision": "day"}, "published_on"),
    ],
)
def test_source_rules(fields, field):
    with pytest.raises(ValidationError) as caught:
        source_upsert(slug="bounded", title="Bounded", **fields)
    assert field in caught.value.message_dict, caught.value.message_dict
    assert not Source.objects.filter(slug="bounded").exists()


def test_an_order_is_not_lifted_before_the_earliest_date():
    order = OrderFactory(effective_from=datetime.date(2014, 1, 1))
    with pytest.raises(ValidationError) as caught:
        order_lift(order=order, lifted_on=datetime.date(2013, 12, 31))
    assert "lifted_on" in caught.value.message_dict


def test_a_review_note_has_a_limit():
    created = IncidentFactory()
    with pytest.raises(ValidationError) as caught:
        incident_review(incident=created, state="rejected", note="x" * (REVIEW_NOTE_MAX_LENGTH + 1), actor=None)
    assert "verification_note" in caught.value.message_dict
    created.refresh_from_db()
    assert created.verification_state == VerificationState.REPORTED


def test_citations_are_capped_per_fact():
    source = SourceFactory()
    citations = [CitationInput(source=source, locator=f"p. {n}") for n in range(CITATIONS_PER_FACT_MAX + 1)]
    assert_refused(incident(citations=citations), "citations")
    assert incident(citations=citations[:CITATIONS_PER_FACT_MAX])().citations.count() == CITATIONS_PER_FACT_MAX


def test_the_same_place_in_a_source_is_cited_once():
    source = SourceFactory(slug="wire")
    twice = [CitationInput(source=source, locator="¶2"), CitationInput(source=source, locator="¶2", note="other")]
    before = _tables_snapshot()
    with pytest.raises(ValidationError) as caught:
        incident(citations=twice)()
    assert caught.value.message_dict["citations"] == ["wire at ¶2 is cited more than once; cite each place once."]
    assert _tables_snapshot() == before


def test_an_update_cannot_duplicate_citations_either():
    created = IncidentFactory()
    source = SourceFactory()
    with pytest.raises(ValidationError) as caught:
        incident_update(incident=created, citations=[CitationInput(source=source)] * 2)
    assert "citations" in caught.value.message_dict
    assert created.citations.count() == 1


def test_the_bulk_path_refuses_what_the_single_row_path_refuses():
    area, source = AreaFactory(), SourceFactory()
    row = {"area": area, "incident_type": "shelling", "occurred_on": datetime.date(2023, 8, 1), "summary": "s",
           "citations": [CitationInput(source=source)]}  # fmt: skip
    rows = [
        row,
        {**row, "citations": [CitationInput(source=source)] * 2},
        {**row, "summary": "x" * (FACT_SUMMARY_MAX_LENGTH + 1)},
        {**row, "occurred_on": datetime.date(1, 1, 1)},
        {**row, "citations": [CitationInput(source=source, locator=str(n)) for n in range(CITATIONS_PER_FACT_MAX + 1)]},
    ]
    with pytest.raises(ValidationError) as caught:
        incident_create_many(rows=rows)
    errors = caught.value.rows
    assert {index: sorted(fields) for index, fields in errors.items()} == {
        1: ["citations"], 2: ["summary"], 3: ["occurred_on"], 4: ["citations"],
    }  # fmt: skip
    assert len(errors[2]["summary"]) == 1, errors[2]  # the field's own message, not the constraint's too
    assert not Incident.objects.exists()


def _csv(header, *rows):
    return ("\n".join([",".join(header), *(",".join(row) for row in rows)]) + "\n").encode()


def test_the_importer_names_row_and_column_of_these_limits():
    area, source = AreaFactory(), SourceFactory()
    header = ["incident_type", "occurred_on", "area_code", "summary", "source"]
    content = _csv(
        header,
        ["shelling", "2023-08-01", area.code, "Fine.", source.slug],
        ["shelling", "0001-01-01", area.code, "Too early.", source.slug],
        ["shelling", "2023-08-01", area.code, "x" * (FACT_SUMMARY_MAX_LENGTH + 1), source.slug],
    )
    check = IncidentImporter(content, "incidents.csv").check()
    assert [(error.row, error.column) for error in check.errors] == [(3, "occurred_on"), (4, "summary")]

    header = ["area_code", "kind", "reference_date", "method", "summary", "source", "total", "total_qualifier"]
    content = _csv(header, [area.code, "baseline", "2001-12-05", "census", "Census.", source.slug, "10", "exact"])
    check = PopulationCountImporter(content, "counts.csv").check()
    assert [(error.row, error.column) for error in check.errors] == [(2, "reference_date")]
