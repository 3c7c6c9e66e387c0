"""API test fixtures: callers of every role, each with a real token or session."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from rest_framework.test import APIClient

from evactrack.access.choices import Role
from evactrack.access.services import membership_set, token_issue
from tests.factories import AreaFactory, OrganizationFactory, SourceFactory


@pytest.fixture(autouse=True)
def _fast_independent_tests(settings):
    # PBKDF2 with a million rounds took most of each test's setup; strength is not under test.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Throttle counters live in the cache; a fresh cache per test keeps tests independent.
    cache.clear()


@pytest.fixture
def own_org(db):
    return OrganizationFactory(slug="own-org", name="Own NGO")


@pytest.fixture
def other_org(db):
    return OrganizationFactory(slug="other-org", name="Other NGO")


def token_client(*, role: str, organization, username: str) -> APIClient:
    user = get_user_model().objects.create_user(username=username)
    membership_set(user=user, organization=organization, role=role)
    _token, raw_key = token_issue(user=user, name=f"{username} client")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
    client.user = user
    client.raw_key = raw_key
    return client


@pytest.fixture
def api(own_org):
    """api("partner") → a client of that role in the caller's own organization."""
    cache = {}

    def make(role: str, organization=None) -> APIClient:
        organization = organization or own_org
        key = (role, organization.pk)
        if key not in cache:
            cache[key] = token_client(role=role, organization=organization, username=f"{role}-{organization.slug}")
        return cache[key]

    return make


@pytest.fixture
def viewer(api):
    return api(Role.VIEWER)


@pytest.fixture
def partner(api):
    return api(Role.PARTNER)


@pytest.fixture
def coordinator(api):
    return api(Role.COORDINATOR)


@pytest.fixture
def area(db):
    return AreaFactory(code="UA98010010010000001", name_uk="Куп'янськ", pcode="UA9801001001")


@pytest.fixture
def source(db):
    return SourceFactory(slug="wire-1")


@pytest.fixture
def incident_body(area, source):
    def make(**overrides):
        body = {
            "incident_type": "shelling",
            "occurred_on": "2023-08-10",
            "area": area.code,
            "fatalities": 2,
            "fatalities_qualifier": "exact",
            "summary": "Shelling of a street.",
            "citations": [{"source": source.slug, "locator": "¶1"}],
        }
        body.update(overrides)
        return body

    return make


YESTERDAY = datetime.date(2023, 8, 9)
