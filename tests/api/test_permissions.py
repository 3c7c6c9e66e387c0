"""Who may do what, declared as a matrix: operation × role × own/other organization's object.

Partners read verified data and their own organization's reports; another organization's
unverified report does not exist for them (404); they edit only their own unverified reports.
"""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from evactrack.access.choices import Role
from evactrack.access.models import ApiToken
from evactrack.access.services import membership_set, token_issue, token_revoke
from reports.services import incident_review
from tests.factories import IncidentFactory, OrderFactory, PopulationCountFactory

pytestmark = pytest.mark.django_db

VIEWER, PARTNER, COORDINATOR, ADMIN = Role.VIEWER, Role.PARTNER, Role.COORDINATOR, Role.ADMIN


@pytest.fixture
def objects(own_org, other_org, area, staff_user):
    def incident(org, verified):
        made = IncidentFactory(area=area, reporting_organization=org, summary=f"{org.slug} {verified}")
        if verified:
            incident_review(incident=made, state="verified", actor=staff_user)
        return made

    return {
        "own_reported": incident(own_org, False),
        "own_verified": incident(own_org, True),
        "other_reported": incident(other_org, False),
        "other_verified": incident(other_org, True),
    }


def detail(incident):
    return reverse("api:incident-detail", kwargs={"uid": incident.uid})


def do_retrieve(client, incident, **_):
    return client.get(detail(incident))


def do_patch(client, incident, **_):
    etag = client.get(detail(incident)).get("ETag", '"none"')
    return client.patch(detail(incident), {"summary": "Edited."}, format="json", HTTP_IF_MATCH=etag)


def do_delete(client, incident, **_):
    return client.delete(detail(incident))


def do_verify(client, incident, **_):
    return client.post(reverse("api:incident-verify", kwargs={"uid": incident.uid}), {}, format="json")


# (operation, role, object, expected status)
INCIDENT_MATRIX = [
    (do_retrieve, VIEWER, "own_reported", 200),
    (do_retrieve, VIEWER, "other_reported", 404),
    (do_retrieve, VIEWER, "other_verified", 200),
    (do_retrieve, PARTNER, "own_reported", 200),
    (do_retrieve, PARTNER, "other_reported", 404),
    (do_retrieve, PARTNER, "other_verified", 200),
    (do_retrieve, COORDINATOR, "other_reported", 200),
    (do_retrieve, ADMIN, "other_reported", 200),
    (do_patch, VIEWER, "own_reported", 403),
    (do_patch, PARTNER, "own_reported", 200),
    (do_patch, PARTNER, "own_verified", 403),
    (do_patch, PARTNER, "other_reported", 404),
    (do_patch, PARTNER, "other_verified", 403),
    (do_patch, COORDINATOR, "other_reported", 200),
    (do_patch, ADMIN, "other_verified", 200),
    (do_delete, VIEWER, "own_reported", 403),
    (do_delete, PARTNER, "own_reported", 204),
    (do_delete, PARTNER, "own_verified", 403),
    (do_delete, PARTNER, "other_reported", 404),
    (do_delete, PARTNER, "other_verified", 403),
    (do_delete, COORDINATOR, "other_verified", 204),
    (do_verify, VIEWER, "own_reported", 403),
    (do_verify, PARTNER, "own_reported", 403),
    (do_verify, PARTNER, "other_reported", 403),
    (do_verify, COORDINATOR, "other_reported", 200),
    (do_verify, ADMIN, "own_reported", 200),
]


@pytest.mark.parametrize(
    ("operation", "role", "target", "expected"),
    INCIDENT_MATRIX,
    ids=[f"{op.__name__}-{role}-{target}" for op, role, target, _ in INCIDENT_MATRIX],
)
def test_incident_matrix(api, objects, operation, role, target, expected):
    response = operation(api(role), objects[target])
    assert response.status_code == expected, response.content
    if expected >= 400:
        body = response.json()
        assert body["status"] == expected and set(body) >= {"code", "detail", "fields"}


@pytest.mark.parametrize(
    ("role", "visible"),
    [
        (VIEWER, {"own_reported", "own_verified", "other_verified"}),
        (PARTNER, {"own_reported", "own_verified", "other_verified"}),
        (COORDINATOR, {"own_reported", "own_verified", "other_reported", "other_verified"}),
    ],
)
def test_incident_list_shows_only_visible(api, objects, role, visible):
    uids = {row["uid"] for row in api(role).get(reverse("api:incident-list")).json()["results"]}
    assert uids == {str(objects[name].uid) for name in visible}


CREATE_MATRIX = [
    ("incident-list", VIEWER, 403),
    ("incident-list", PARTNER, 201),
    ("incident-list", COORDINATOR, 201),
    ("order-list", VIEWER, 403),
    ("order-list", PARTNER, 403),
    ("order-list", COORDINATOR, 201),
    ("population-count-list", PARTNER, 403),
    ("population-count-list", COORDINATOR, 201),
    ("designation-list", VIEWER, 403),
    ("designation-list", PARTNER, 403),
    ("designation-list", COORDINATOR, 201),
    ("source-list", VIEWER, 403),
    ("source-list", PARTNER, 201),
]


@pytest.fixture
def bodies(area, source, incident_body):
    citations = [{"source": source.slug, "locator": "¶2"}]
    return {
        "incident-list": incident_body(),
        "order-list": {
            "title": "Mandatory evacuation",
            "issuing_authority": "Oblast military administration",
            "kind": "mandatory",
            "effective_from": "2023-08-10",
            "targets": [{"area": area.code}],
            "summary": "Ordered.",
            "citations": citations,
        },
        "population-count-list": {
            "area": area.code,
            "kind": "baseline",
            "reference_date": "2022-01-01",
            "total": 25000,
            "total_qualifier": "approximate",
            "method": "census",
            "summary": "Pre-war.",
            "citations": citations,
        },
        "source-list": {"slug": "new-source", "title": "A statement"},
        "designation-list": {
            "area": area.code,
            "kind": "occupied",
            "valid_from": "2022-02-27",
            "summary": "Occupied.",
            "citations": citations,
        },
    }


@pytest.mark.parametrize(("route", "role", "expected"), CREATE_MATRIX)
def test_create_matrix(api, bodies, route, role, expected):
    response = api(role).post(reverse(f"api:{route}"), bodies[route], format="json")
    assert response.status_code == expected, response.content


def test_partner_reports_as_its_own_organization(partner, incident_body, other_org):
    response = partner.post(
        reverse("api:incident-list"), incident_body(reporting_organization=other_org.slug), format="json"
    )
    # Refused, not rewritten (the other cases: tests/api/test_partner_claims.py).
    assert response.status_code == 400
    assert "reporting_organization" in response.json()["fields"]


def test_order_lift_only_for_coordinators(api, area):
    order = OrderFactory(area=area)
    url = reverse("api:order-lift", kwargs={"uid": order.uid})
    assert api(PARTNER).post(url, {}, format="json").status_code == 403
    response = api(COORDINATOR).post(url, {"lifted_on": "2023-09-01"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["state"] == "lifted"


# --- authentication ---------------------------------------------------------------------------


def test_no_credentials_is_401():
    response = APIClient().get(reverse("api:area-list"))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


@pytest.mark.parametrize("spoil", ["unknown", "revoked", "expired", "inactive"])
def test_bad_tokens_are_401(own_org, spoil):
    user = get_user_model().objects.create_user(username="client")
    membership_set(user=user, organization=own_org, role=PARTNER)
    token, key = token_issue(user=user, name="c")
    if spoil == "unknown":
        key = key + "x"
    elif spoil == "revoked":
        token_revoke(token=token)
    elif spoil == "expired":
        token.expires_at = timezone.now() - datetime.timedelta(seconds=1)
        token.save()
    else:
        user.is_active = False
        user.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(reverse("api:area-list")).status_code == 401


@pytest.mark.parametrize("change", ["revoked", "expired", "inactive", "role"])
def test_token_changes_count_at_the_next_request(own_org, other_org, area, staff_user, change):
    """Nothing about a token is remembered between requests: a client that was just served
    is refused (or sees less) as soon as its token, user or membership changes."""
    other_unverified = IncidentFactory(area=area, reporting_organization=other_org)
    user = get_user_model().objects.create_user(username="client")
    membership_set(user=user, organization=own_org, role=COORDINATOR)
    token, key = token_issue(user=user, name="c")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    detail = reverse("api:incident-detail", kwargs={"uid": other_unverified.uid})
    assert client.get(detail).status_code == 200
    if change == "revoked":
        token_revoke(token=token)
    elif change == "expired":
        ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    elif change == "inactive":
        get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    else:
        membership_set(user=user, organization=own_org, role=PARTNER)
    assert client.get(detail).status_code == (404 if change == "role" else 401)


def test_token_use_is_recorded_once_a_minute(own_org):
    user = get_user_model().objects.create_user(username="client")
    membership_set(user=user, organization=own_org, role=VIEWER)
    token, key = token_issue(user=user, name="c")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    client.get(reverse("api:area-list"))
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    client.get(reverse("api:area-list"))
    token.refresh_from_db()
    assert token.last_used_at == first_use
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first_use - datetime.timedelta(minutes=2))
    client.get(reverse("api:area-list"))
    token.refresh_from_db()
    assert token.last_used_at > first_use


def test_superuser_token_without_membership_acts_as_admin(db, area, other_org):
    unverified = IncidentFactory(area=area, reporting_organization=other_org)
    user = get_user_model().objects.create_user(username="root", is_superuser=True)
    _token, key = token_issue(user=user, name="c")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(reverse("api:incident-detail", kwargs={"uid": unverified.uid})).status_code == 200


def test_token_is_stored_hashed(own_org):
    user = get_user_model().objects.create_user(username="client")
    token, key = token_issue(user=user, name="c")
    token.refresh_from_db()
    assert key not in (token.digest, token.prefix) and len(token.digest) == 64


def test_user_without_membership_is_403(db):
    user = get_user_model().objects.create_user(username="nobody")
    _token, key = token_issue(user=user, name="c")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(reverse("api:area-list")).status_code == 403


def test_staff_session_works(client, staff_user, area):
    client.force_login(staff_user)
    assert client.get(reverse("api:area-list")).status_code == 200


def test_session_write_needs_csrf(staff_user, incident_body):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(staff_user)
    response = client.post(reverse("api:incident-list"), incident_body(), format="json")
    assert response.status_code == 403


# --- sensitive fields -------------------------------------------------------------------------


def test_small_child_counts_withheld_below_coordinator(api, area):
    PopulationCountFactory(area=area, children=7, children_qualifier="exact")
    seen = api(PARTNER).get(reverse("api:population-count-list")).json()["results"][0]
    assert seen["children"] is None and seen["withheld"] == ["children"]
    full = api(COORDINATOR).get(reverse("api:population-count-list")).json()["results"][0]
    assert full["children"] == 7 and full["withheld"] == []


def test_exact_point_of_a_shelter_withheld_from_other_organizations(api, area, other_org, own_org, staff_user):
    for org in (own_org, other_org):
        made = IncidentFactory(
            area=area, reporting_organization=org, facility_type="shelter", latitude=49.7, longitude=37.6,
            geo_precision="exact",
        )  # fmt: skip
        incident_review(incident=made, state="verified", actor=staff_user)
    rows = {r["reporting_organization"]: r for r in api(PARTNER).get(reverse("api:incident-list")).json()["results"]}
    assert rows["other-org"]["latitude"] is None and rows["other-org"]["withheld"] == ["latitude", "longitude"]
    assert rows["own-org"]["latitude"] == 49.7
    csv_text = b"".join(api(PARTNER).get(reverse("api:incident-export")).streaming_content).decode()
    assert csv_text.count("49.7") == 1


def test_api_token_command_issues_a_working_token_and_revokes_it(own_org, capsys):
    from django.core.management import call_command

    call_command("api_token", "issue", "--user", "dash", "--organization", "own-org", "--name", "dashboard")
    key = capsys.readouterr().out.strip().splitlines()[-1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get(reverse("api:area-list")).status_code == 200
    call_command("api_token", "revoke", "--prefix", key[:12])
    assert client.get(reverse("api:area-list")).status_code == 401
