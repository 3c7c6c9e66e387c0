"""What a partner may not claim: to report for another organization, or to grade a source as
reliable. Refused with a 400 naming the field, never silently rewritten; coordinators may."""

import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator

from evactrack.access.choices import Role
from reports.models import Incident, Source
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


def assert_refused(response, field):
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["status"] == 400 and field in body["fields"], body


# --- reporting organization ---------------------------------------------------------------------


def test_a_partner_claiming_another_organization_is_refused(partner, incident_body, other_org):
    response = partner.post(
        reverse("api:incident-list"), incident_body(reporting_organization=other_org.slug), format="json"
    )
    assert_refused(response, "reporting_organization")
    assert not Incident.objects.exists()


@pytest.mark.parametrize("claim", ["own-org", None, "left out"])
def test_a_partner_sending_its_own_organization_or_none_reports_as_itself(partner, incident_body, own_org, claim):
    body = incident_body() if claim == "left out" else incident_body(reporting_organization=claim)
    response = partner.post(reverse("api:incident-list"), body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["reporting_organization"] == own_org.slug


def test_a_partner_cannot_move_its_report_to_another_organization(partner, incident_body, other_org, own_org):
    created = partner.post(reverse("api:incident-list"), incident_body(), format="json")
    url, etag = created["Location"], created["ETag"]
    response = partner.patch(url, {"reporting_organization": other_org.slug}, format="json", HTTP_IF_MATCH=etag)
    assert_refused(response, "reporting_organization")
    assert Incident.objects.get().reporting_organization == own_org
    # Its own slug is no change and no error.
    response = partner.patch(url, {"reporting_organization": own_org.slug}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content


def test_a_bulk_row_claiming_another_organization_is_named_by_its_index(partner, incident_body, other_org):
    rows = [incident_body(), incident_body(reporting_organization=other_org.slug)]
    response = partner.post(reverse("api:incident-bulk"), rows, format="json")
    assert response.status_code == 400, response.content
    assert "reporting_organization" in response.json()["rows"]["1"], response.json()
    assert not Incident.objects.exists()


def test_a_coordinator_may_report_for_any_organization(coordinator, incident_body, other_org, area):
    response = coordinator.post(
        reverse("api:incident-list"), incident_body(reporting_organization=other_org.slug), format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["reporting_organization"] == other_org.slug
    incident = IncidentFactory(area=area)
    url = reverse("api:incident-detail", kwargs={"uid": incident.uid})
    etag = coordinator.get(url)["ETag"]
    response = coordinator.patch(url, {"reporting_organization": other_org.slug}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert response.json()["reporting_organization"] == other_org.slug


# --- source reliability -------------------------------------------------------------------------


@pytest.mark.parametrize("grade", ["a", "b"])
def test_a_partner_cannot_grade_a_source_reliable(partner, grade):
    response = partner.post(
        reverse("api:source-list"), {"slug": "s", "title": "T", "reliability": grade}, format="json"
    )
    assert_refused(response, "reliability")
    assert not Source.objects.filter(slug="s").exists()


@pytest.mark.parametrize("grade", ["c", "d", "e", "f"])
def test_a_partner_may_send_the_lower_grades(partner, grade):
    response = partner.post(
        reverse("api:source-list"), {"slug": "s", "title": "T", "reliability": grade}, format="json"
    )
    assert response.status_code == 201, response.content
    assert Source.objects.get(slug="s").reliability == grade


def test_a_partner_leaving_reliability_out_gets_cannot_be_judged(partner):
    response = partner.post(reverse("api:source-list"), {"slug": "s", "title": "T"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["reliability"] == "f"


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_a_coordinator_grades_sources(api, role):
    client = api(role)
    response = client.post(reverse("api:source-list"), {"slug": "s", "title": "T", "reliability": "a"}, format="json")
    assert response.status_code == 201, response.content
    url, etag = response["Location"], response["ETag"]
    response = client.patch(url, {"reliability": "b"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert Source.objects.get(slug="s").reliability == "b"


def test_the_schema_says_what_a_partner_may_claim():
    schema = SchemaGenerator().get_schema(request=None, public=True)["components"]["schemas"]
    assert "another organization" in str(schema["IncidentRequest"]["properties"]["reporting_organization"])
    assert "coordinator" in str(schema["SourceRequest"]["properties"]["reliability"])
