"""Staff permissions follow the roles of docs/DESIGN.md: viewers read verified incidents (and
their own organization's, as in the API), partners report and edit their own organization's
unverified ones, coordinators review and run orders."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.auth.models import Group
from django.urls import reverse

from evactrack.access.services import membership_set
from reports.choices import VerificationState
from reports.models import Incident
from reports.services import incident_review
from tests.admin.data import kupiansk_with_facts
from tests.admin.test_saving import incident_add_data
from tests.factories import IncidentFactory, OrganizationFactory

pytestmark = pytest.mark.django_db
QUEUE = "admin:reports_incident_changelist"


@pytest.fixture
def kupiansk(db):
    return kupiansk_with_facts()


@pytest.fixture
def staff_with_role(client, django_user_model, kupiansk):
    """A logged-in staff user as an administrator makes one: a role, and its group's permissions only."""

    def make(role, organization=None):
        user = django_user_model.objects.create_user(f"{role}-user", password="x" * 20, is_staff=True)
        membership_set(user=user, organization=organization or kupiansk.organization, role=role)
        client.force_login(user)
        return user

    return make


@pytest.fixture
def other_incident(kupiansk, staff_user):
    """Another organization's report, verified, and one of theirs still unverified."""
    other = OrganizationFactory(name="Other NGO", slug="other-ngo")
    verified = IncidentFactory(area=kupiansk.city, source=kupiansk.source, reporting_organization=other)
    incident_review(incident=verified, state="verified", actor=staff_user)
    unverified = IncidentFactory(area=kupiansk.city, source=kupiansk.source, reporting_organization=other)
    return verified, unverified


def offered_actions(client) -> list[str]:
    action_form = client.get(reverse(QUEUE)).context["action_form"]
    return [value for value, _label in action_form.fields["action"].choices] if action_form else []


def listed(client):
    return set(client.get(reverse(QUEUE)).context["cl"].result_list)


def test_a_viewer_reads_what_the_api_shows_it_and_changes_nothing(client, staff_with_role, kupiansk, other_incident):
    staff_with_role("viewer")
    verified, _unverified = other_incident
    # The access policy's rule, as in the API: everyone's verified reports and its own organization's.
    assert listed(client) == {kupiansk.incident, verified}
    url = reverse("admin:reports_incident_change", args=[verified.pk])
    assert "_save" not in client.get(url).content.decode()
    assert client.get(reverse("admin:reports_incident_add")).status_code == 403


def test_a_partner_edits_its_own_unverified_reports_only(client, staff_with_role, kupiansk, other_incident):
    staff_with_role("partner")
    verified, unverified = other_incident
    assert listed(client) == {kupiansk.incident, verified}  # its own, and everyone's verified ones
    own = reverse("admin:reports_incident_change", args=[kupiansk.incident.pk])
    assert "_save" in client.get(own).content.decode()
    assert "_save" not in client.get(reverse("admin:reports_incident_change", args=[verified.pk])).content.decode()
    assert client.get(reverse("admin:reports_incident_change", args=[unverified.pk])).status_code == 302  # hidden
    assert client.get(reverse("admin:reports_evacuationorder_add")).status_code == 403


def test_a_partners_new_report_belongs_to_its_organization(client, staff_with_role, kupiansk):
    other = OrganizationFactory(name="Other NGO", slug="other-ngo")
    staff_with_role("partner")
    data = incident_add_data(kupiansk) | {"reporting_organization": str(other.pk)}  # ignored
    response = client.post(reverse("admin:reports_incident_add"), data)
    assert response.status_code == 302, response.context["errors"]
    assert Incident.objects.get(summary="Strike on a school.").reporting_organization == kupiansk.organization


def test_only_coordinators_review(client, staff_with_role, kupiansk):
    staff_with_role("partner")
    assert "verify_selected" not in offered_actions(client)
    client.post(
        reverse(QUEUE), {"action": "verify_selected", ACTION_CHECKBOX_NAME: [str(kupiansk.incident.pk)], "index": "0"}
    )
    assert Incident.objects.get(pk=kupiansk.incident.pk).verification_state == VerificationState.REPORTED
    client.logout()
    staff_with_role("coordinator")
    done = client.post(
        reverse(QUEUE), {"action": "verify_selected", ACTION_CHECKBOX_NAME: [str(kupiansk.incident.pk)], "index": "0"}
    )
    assert done.status_code == 302
    assert Incident.objects.get(pk=kupiansk.incident.pk).verification_state == "verified"


@pytest.mark.parametrize(("role", "sees_point"), [("viewer", False), ("partner", False), ("coordinator", True)])
def test_the_point_of_another_organizations_clinic_is_withheld_below_coordinator(
    client, staff_with_role, kupiansk, staff_user, role, sees_point
):
    """Exact points of vulnerable places (docs/DESIGN.md): hidden on the page and in the export."""
    other = OrganizationFactory(name="Other NGO", slug="other-ngo")
    clinic = IncidentFactory(
        area=kupiansk.city, source=kupiansk.source, reporting_organization=other,
        latitude=49.7123, longitude=37.6187, geo_precision="exact", facility_type="health",
    )  # fmt: skip
    incident_review(incident=clinic, state="verified", actor=staff_user)
    staff_with_role(role)
    page = client.get(reverse("admin:reports_incident_change", args=[clinic.pk])).content.decode()
    export = client.get(reverse("admin:reports_incident_export"))
    exported = b"".join(export.streaming_content if export.streaming else [export.content]).decode()
    for text in (page, exported):
        assert ("49.7123" in text) is sees_point
        assert ("37.6187" in text) is sees_point


def test_each_role_group_holds_exactly_its_declared_permissions():
    from evactrack.access.roles import GROUP_NAMES, role_permissions

    for role, name in GROUP_NAMES.items():
        held = set(Group.objects.get(name=name).permissions.values_list("content_type__app_label", "codename"))
        assert held == role_permissions(role), name
    coordinator = {codename for _app, codename in role_permissions("coordinator")}
    # Reports are rejected and orders lifted, never deleted by staff below administrator.
    assert not {"delete_incident", "delete_evacuationorder", "delete_source", "change_policy"} & coordinator


def test_a_role_chosen_on_the_user_page_brings_its_group_and_follows_changes(
    admin_client_logged_in, django_user_model, kupiansk
):
    user = django_user_model.objects.create_user("new-coordinator", password="x" * 20, is_staff=True)
    url = reverse("admin:auth_user_change", args=[user.pk])
    form = admin_client_logged_in.get(url).context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in ("username", "first_name", "last_name", "email", "is_active", "is_staff", "date_joined")
        and value is not None
    }
    data |= {"date_joined_0": "2026-01-01", "date_joined_1": "10:00:00", "is_staff": "on", "is_active": "on"}
    data |= {
        "api_membership-TOTAL_FORMS": "1", "api_membership-INITIAL_FORMS": "0",
        "api_membership-MIN_NUM_FORMS": "0", "api_membership-MAX_NUM_FORMS": "1",
        "api_membership-0-organization": str(kupiansk.organization.pk), "api_membership-0-role": "coordinator",
    }  # fmt: skip
    data.pop("date_joined", None)
    response = admin_client_logged_in.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert list(user.groups.values_list("name", flat=True)) == ["Coordinator"]
    assert user.api_membership.role == "coordinator"

    membership = user.api_membership
    data |= {
        "api_membership-INITIAL_FORMS": "1", "api_membership-0-id": str(membership.pk),
        "api_membership-0-user": str(user.pk), "api_membership-0-role": "viewer",
    }  # fmt: skip
    assert admin_client_logged_in.post(url, data).status_code == 302
    assert list(user.groups.values_list("name", flat=True)) == ["Viewer"]

    data["api_membership-0-DELETE"] = "on"
    assert admin_client_logged_in.post(url, data).status_code == 302
    assert not user.groups.exists()
    assert not type(membership).objects.filter(user=user).exists()


def test_a_coordinator_is_not_offered_deleting_incidents(client, staff_with_role, kupiansk):
    staff_with_role("coordinator")
    actions = offered_actions(client)
    assert "verify_selected" in actions
    assert "delete_selected" not in actions
    assert client.get(reverse("admin:reports_evacuationorder_add")).status_code == 200
