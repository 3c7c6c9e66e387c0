"""Every input is bounded: text by a stated length, citations by a count and by uniqueness, dates
by the earliest date a fact can have. Refused with a 400 naming the field; the schema states
the limits a client can check before sending."""

import datetime

import orjson
import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from reports.models import (
    CITATIONS_PER_FACT_MAX,
    FACT_SUMMARY_MAX_LENGTH,
    REVIEW_NOTE_MAX_LENGTH,
    SOURCE_SUMMARY_MAX_LENGTH,
    Citation,
    Incident,
    Source,
)
from tests.factories import IncidentFactory, OrderFactory, PopulationCountFactory, SourceFactory

pytestmark = pytest.mark.django_db

INCIDENTS = "api:incident-list"


def assert_refused(response, field):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["status"] == 400 and field in body["fields"], body
    return body["fields"][field]


def post(client, route, body):
    return client.post(reverse(route), body, format="json")


# --- text -------------------------------------------------------------------------------------


def test_a_summary_longer_than_the_limit_is_refused_and_one_at_the_limit_accepted(partner, incident_body):
    assert_refused(post(partner, INCIDENTS, incident_body(summary="x" * (FACT_SUMMARY_MAX_LENGTH + 1))), "summary")
    assert not Incident.objects.exists()
    response = post(partner, INCIDENTS, incident_body(summary="x" * FACT_SUMMARY_MAX_LENGTH))
    assert response.status_code == 201, response.content


def test_a_five_mebibyte_summary_is_a_400_not_a_stored_row(partner, incident_body):
    # Just under the body limit, so it is the summary's limit that answers, not the body's.
    assert_refused(post(partner, INCIDENTS, incident_body(summary="x" * (5 * 1024 * 1024 - 1000))), "summary")
    assert not Incident.objects.exists()


def test_an_update_cannot_lengthen_a_summary_past_the_limit(coordinator, area):
    incident = IncidentFactory(area=area)
    url = reverse("api:incident-detail", kwargs={"uid": incident.uid})
    etag = coordinator.get(url)["ETag"]
    response = coordinator.patch(
        url, {"summary": "x" * (FACT_SUMMARY_MAX_LENGTH + 1)}, format="json", HTTP_IF_MATCH=etag
    )
    assert_refused(response, "summary")
    incident.refresh_from_db()
    assert len(incident.summary) < FACT_SUMMARY_MAX_LENGTH


def test_a_source_summary_and_a_review_note_have_limits_too(partner, coordinator, area):
    body = {"slug": "long-one", "title": "T", "summary": "x" * (SOURCE_SUMMARY_MAX_LENGTH + 1)}
    assert_refused(post(partner, "api:source-list", body), "summary")
    assert not Source.objects.filter(slug="long-one").exists()
    incident = IncidentFactory(area=area)
    url = reverse("api:incident-reject", kwargs={"uid": incident.uid})
    assert_refused(coordinator.post(url, {"note": "x" * (REVIEW_NOTE_MAX_LENGTH + 1)}, format="json"), "note")


# --- citations ----------------------------------------------------------------------------------


def test_more_citations_than_the_cap_are_refused(partner, incident_body, source):
    too_many = [{"source": source.slug, "locator": f"¶{n}"} for n in range(CITATIONS_PER_FACT_MAX + 1)]
    messages = assert_refused(post(partner, INCIDENTS, incident_body(citations=too_many)), "citations")
    assert str(CITATIONS_PER_FACT_MAX) in " ".join(messages)
    response = post(partner, INCIDENTS, incident_body(citations=too_many[:CITATIONS_PER_FACT_MAX]))
    assert response.status_code == 201, response.content


def test_a_thousand_duplicated_citations_are_refused(partner, incident_body, source):
    duplicated = [{"source": source.slug, "locator": "¶1"}] * 1000
    assert_refused(post(partner, INCIDENTS, incident_body(citations=duplicated)), "citations")
    assert not Citation.objects.exists()


def test_the_same_source_and_place_cited_twice_is_refused_with_a_message_naming_them(partner, incident_body, source):
    twice = [{"source": source.slug, "locator": "¶3"}, {"source": source.slug, "locator": "¶3", "note": "again"}]
    messages = assert_refused(post(partner, INCIDENTS, incident_body(citations=twice)), "citations")
    assert any(source.slug in message and "¶3" in message for message in messages), messages
    assert not Incident.objects.exists()
    # The same source at two places is two citations.
    twice[1]["locator"] = "¶4"
    assert post(partner, INCIDENTS, incident_body(citations=twice)).status_code == 201


def test_a_bulk_row_with_duplicated_citations_is_named_by_its_index(partner, incident_body, source):
    rows = [incident_body(), incident_body(citations=[{"source": source.slug}, {"source": source.slug}])]
    response = post(partner, "api:incident-bulk", rows)
    assert response.status_code == 400, response.content
    assert "citations" in response.json()["rows"]["1"], response.json()
    assert not Incident.objects.exists()


def test_an_update_cannot_duplicate_citations(coordinator, area, source):
    incident = IncidentFactory(area=area, source=source)
    url = reverse("api:incident-detail", kwargs={"uid": incident.uid})
    etag = coordinator.get(url)["ETag"]
    twice = [{"source": source.slug, "locator": "p. 2"}] * 2
    assert_refused(coordinator.patch(url, {"citations": twice}, format="json", HTTP_IF_MATCH=etag), "citations")


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize("day", ["0001-01-01", "2013-12-31"])
def test_an_incident_before_the_earliest_date_is_refused(partner, incident_body, day):
    assert_refused(post(partner, INCIDENTS, incident_body(occurred_on=day)), "occurred_on")
    assert not Incident.objects.exists()


def test_the_earliest_date_itself_is_accepted(partner, incident_body):
    assert post(partner, INCIDENTS, incident_body(occurred_on="2014-01-01")).status_code == 201


def test_the_earliest_date_is_a_setting(partner, incident_body, settings):
    settings.EVACTRACK_EARLIEST_FACT_DATE = datetime.date(2022, 2, 24)
    assert_refused(post(partner, INCIDENTS, incident_body(occurred_on="2022-02-23")), "occurred_on")
    assert post(partner, INCIDENTS, incident_body(occurred_on="2022-02-24")).status_code == 201


@pytest.fixture
def order_body(area, source):
    def make(**overrides):
        return {
            "title": "Mandatory evacuation",
            "issuing_authority": "Oblast military administration",
            "kind": "mandatory",
            "effective_from": "2023-08-10",
            "targets": [{"area": area.code}],
            "summary": "Ordered.",
            "citations": [{"source": source.slug}],
            **overrides,
        }

    return make


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"effective_from": "0001-01-01", "issued_on": None}, "effective_from"),
        ({"issued_on": "2013-06-01"}, "issued_on"),
    ],
)
def test_an_order_before_the_earliest_date_is_refused(coordinator, order_body, overrides, field):
    assert_refused(post(coordinator, "api:order-list", order_body(**overrides)), field)


def test_an_order_cannot_end_before_the_earliest_date(coordinator, area):
    # effective_until before effective_from is refused by its own rule; from and until both
    # early shows the earliest-date rule on effective_until.
    order = OrderFactory(area=area)
    url = reverse("api:order-detail", kwargs={"uid": order.uid})
    etag = coordinator.get(url)["ETag"]
    body = {"effective_from": "2013-01-01", "effective_until": "2013-02-01"}
    fields = coordinator.patch(url, body, format="json", HTTP_IF_MATCH=etag).json()["fields"]
    assert {"effective_from", "effective_until"} <= set(fields), fields


def test_an_order_cannot_be_lifted_on_a_date_before_the_earliest(coordinator, area):
    order = OrderFactory(area=area)
    url = reverse("api:order-lift", kwargs={"uid": order.uid})
    assert_refused(coordinator.post(url, {"lifted_on": "0001-01-01"}, format="json"), "lifted_on")


def test_a_count_before_the_earliest_date_is_refused(coordinator, area, source):
    body = {
        "area": area.code,
        "kind": "baseline",
        "reference_date": "2001-12-05",
        "total": 25000,
        "total_qualifier": "approximate",
        "method": "census",
        "summary": "Census.",
        "citations": [{"source": source.slug}],
    }
    assert_refused(post(coordinator, "api:population-count-list", body), "reference_date")


def test_a_count_update_cannot_move_its_date_before_the_earliest(coordinator, area):
    count = PopulationCountFactory(area=area)
    url = reverse("api:population-count-detail", kwargs={"uid": count.uid})
    etag = coordinator.get(url)["ETag"]
    response = coordinator.patch(url, {"reference_date": "1999-01-01"}, format="json", HTTP_IF_MATCH=etag)
    assert_refused(response, "reference_date")


def test_a_source_published_before_the_earliest_date_is_refused(partner, coordinator):
    body = {"slug": "old-one", "title": "Old", "published_on": "0001-01-01", "published_on_precision": "day"}
    assert_refused(post(partner, "api:source-list", body), "published_on")
    source = SourceFactory()
    url = reverse("api:source-detail", kwargs={"slug": source.slug})
    etag = coordinator.get(url)["ETag"]
    response = coordinator.patch(
        url, {"published_on": "2010-01-01", "published_on_precision": "year"}, format="json", HTTP_IF_MATCH=etag
    )
    assert_refused(response, "published_on")


# --- the schema states them ---------------------------------------------------------------------


def test_the_schema_states_the_limits():
    schema = orjson.loads(orjson.dumps(SchemaGenerator().get_schema(request=None, public=True), default=str))
    components = schema["components"]["schemas"]
    incident = components["IncidentRequest"]["properties"]
    assert incident["summary"]["maxLength"] == FACT_SUMMARY_MAX_LENGTH
    assert incident["citations"]["maxItems"] == CITATIONS_PER_FACT_MAX
    assert incident["citations"]["minItems"] == 1
    assert "2014-01-01" in incident["occurred_on"]["description"]
    assert components["SourceRequest"]["properties"]["summary"]["maxLength"] == SOURCE_SUMMARY_MAX_LENGTH
    assert "2014-01-01" in components["SourceRequest"]["properties"]["published_on"]["description"]
    order = components["EvacuationOrderRequest"]["properties"]
    for name in ("issued_on", "effective_from", "effective_until"):
        assert "2014-01-01" in order[name]["description"], name
    assert "2014-01-01" in components["PopulationCountRequest"]["properties"]["reference_date"]["description"]
    assert components["ReviewRequest"]["properties"]["note"]["maxLength"] == REVIEW_NOTE_MAX_LENGTH
