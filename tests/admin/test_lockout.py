"""Login lockout (django-axes): repeated failures lock the username from that address."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
PASSWORD = "a-long-test-password"


def attempt(client, password, **headers):
    return client.post(
        reverse("admin:login"), {"username": "coordinator", "password": password, "next": "/admin/"}, **headers
    )


def test_five_failures_lock_the_login_even_with_the_right_password(client, staff_user):
    for _ in range(4):
        assert attempt(client, "wrong").status_code == 200
    assert attempt(client, "wrong").status_code == 429  # the fifth failure locks
    locked = attempt(client, PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_success_before_the_limit_resets_the_count(client, staff_user):
    for _ in range(4):
        attempt(client, "wrong")
    assert attempt(client, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        attempt(client, "wrong")
    assert attempt(client, PASSWORD).status_code == 302


def test_behind_a_proxy_the_forwarded_address_counts_and_cannot_be_forged(client, staff_user, settings):
    settings.EVACTRACK_TRUSTED_PROXY_COUNT = 1
    # The client prepends a different fake address each time; the proxy appends the real one.
    for n in range(5):
        attempt(client, "wrong", HTTP_X_FORWARDED_FOR=f"10.0.0.{n}, 203.0.113.7")
    assert attempt(client, PASSWORD, HTTP_X_FORWARDED_FOR="10.9.9.9, 203.0.113.7").status_code == 429
    # Another real client behind the same proxy is not locked out.
    assert attempt(client, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.4").status_code == 302
