"""The verification queue: unverified first, bulk review through incident_review, shareable filters."""

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from reports.choices import VerificationState
from reports.models import Incident
from reports.services import incident_review
from tests.admin.data import kupiansk_with_facts
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db
QUEUE = "admin:reports_incident_changelist"


@pytest.fixture
def kupiansk(db):
    return kupiansk_with_facts()


@pytest.fixture
def incidents(kupiansk, staff_user):
    older = IncidentFactory(area=kupiansk.city, source=kupiansk.source, occurred_on=datetime.date(2023, 1, 5))
    verified = IncidentFactory(area=kupiansk.city, source=kupiansk.source, occurred_on=datetime.date(2023, 9, 1))
    incident_review(incident=verified, state="verified", actor=staff_user)
    return [kupiansk.incident, older, verified]


def test_unverified_incidents_come_first(admin_client_logged_in, incidents):
    newest_reported, older_reported, verified = incidents
    response = admin_client_logged_in.get(reverse(QUEUE))
    assert list(response.context["cl"].result_list) == [newest_reported, older_reported, verified]


def test_filters_combine_in_a_shareable_url(admin_client_logged_in, kupiansk, incidents):
    params = {
        "verification_state__exact": VerificationState.REPORTED,
        "within": kupiansk.raion.code,
        "incident_type__exact": "shelling",
        "occurred_on__gte": "2023-06-01",
        "reporting_organization__id__exact": str(kupiansk.organization.pk),
    }
    response = admin_client_logged_in.get(reverse(QUEUE), params)
    assert list(response.context["cl"].result_list) == [kupiansk.incident]


def test_bulk_verify(admin_client_logged_in, incidents, staff_user):
    pks = [str(incident.pk) for incident in incidents[:2]]
    response = admin_client_logged_in.post(
        reverse(QUEUE), {"action": "verify_selected", ACTION_CHECKBOX_NAME: pks, "index": "0"}
    )
    assert response.status_code == 302
    for incident in Incident.objects.filter(pk__in=pks):
        assert (incident.verification_state, incident.verified_by) == ("verified", staff_user)
        assert incident.history.first().history_user == staff_user


def test_bulk_reject_asks_for_a_reason_first(admin_client_logged_in, incidents):
    pks = [str(incidents[0].pk)]
    asked = admin_client_logged_in.post(
        reverse(QUEUE), {"action": "reject_selected", ACTION_CHECKBOX_NAME: pks, "index": "0"}
    )
    assert asked.status_code == 200
    assert "review-note-form" in asked.content.decode()
    assert Incident.objects.get(pk=pks[0]).verification_state == VerificationState.REPORTED

    no_reason = admin_client_logged_in.post(
        reverse(QUEUE), {"action": "reject_selected", ACTION_CHECKBOX_NAME: pks, "apply": "1", "note": " "}
    )
    assert no_reason.status_code == 200
    assert Incident.objects.get(pk=pks[0]).verification_state == VerificationState.REPORTED

    done = admin_client_logged_in.post(
        reverse(QUEUE),
        {"action": "reject_selected", ACTION_CHECKBOX_NAME: pks, "apply": "1", "note": "Duplicate of another report."},
    )
    assert done.status_code == 302
    incident = Incident.objects.get(pk=pks[0])
    assert (incident.verification_state, incident.verification_note) == ("rejected", "Duplicate of another report.")
