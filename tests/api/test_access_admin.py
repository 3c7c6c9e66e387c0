"""API access in the admin (memberships, token revocation) and the purge of expired idempotency keys."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from evactrack.access.models import ApiToken, IdempotencyRecord, Membership
from evactrack.access.tasks import purge_idempotency_keys

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    client.force_login(get_user_model().objects.create_superuser(username="root-admin", password="x"))
    return client


def test_a_revoked_token_is_refused_on_the_next_request(superuser_client, api):
    partner = api("partner")
    assert partner.get("/api/v1/incidents/").status_code == 200
    token = ApiToken.objects.get(user=partner.user)
    response = superuser_client.post(
        reverse("admin:api_apitoken_changelist"), {"action": "revoke", "_selected_action": [token.pk]}, follow=True
    )
    assert "1 token revoked." in response.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert partner.get("/api/v1/incidents/").status_code == 401
    assert superuser_client.get(reverse("admin:api_apitoken_add")).status_code == 403  # issued on the terminal


def test_a_membership_edited_in_the_admin_changes_the_role_at_once(superuser_client, api, own_org):
    viewer = api("viewer")
    membership = Membership.objects.get(user=viewer.user)
    url = reverse("admin:api_membership_change", args=[membership.pk])
    assert superuser_client.get(url).status_code == 200
    response = superuser_client.post(
        url, {"user": viewer.user.pk, "organization": own_org.pk, "role": "coordinator"}, follow=True
    )
    assert response.status_code == 200
    membership.refresh_from_db()
    assert membership.role == "coordinator"
    assert superuser_client.get(reverse("admin:api_apitoken_changelist")).status_code == 200


def test_expired_idempotency_keys_are_purged_by_a_scheduled_task():
    now = timezone.now()
    for key, expires_at in [("old", now - datetime.timedelta(hours=1)), ("live", now + datetime.timedelta(hours=1))]:
        IdempotencyRecord.objects.create(
            client="token:1", key=key, request_digest="d", state="done", status_code=201, expires_at=expires_at
        )
    assert purge_idempotency_keys.apply().get() == {"deleted": 1}
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["live"]
    schedule = PeriodicTask.objects.get(task="api.purge_idempotency_keys")
    assert (schedule.enabled, schedule.interval.every) == (True, 3600)
