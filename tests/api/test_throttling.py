"""Abuse control: a budget per client, one per address for requests without valid credentials,
and a cache outage that turns throttling off rather than the API."""

import logging
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.request import Request
from rest_framework.test import APIClient

from evactrack.access import throttling
from evactrack.access.choices import Role
from evactrack.access.throttling import ClientRateThrottle, CounterThrottle
from reports.models import Incident

pytestmark = pytest.mark.django_db
AREAS = "api:area-list"
# Nothing listens on port 1: every connection is refused at once.
REDIS_DOWN = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1/0"}
}


@pytest.fixture
def clock(monkeypatch):
    """The throttles' clock, stopped in the middle of a window: a test that spends a budget is
    not refilled by a window that opens while it runs."""
    now = {"now": 6_030.0}  # a one-minute window opens at each multiple of 60 s
    monkeypatch.setattr(CounterThrottle, "timer", lambda self: now["now"])
    return now


@pytest.fixture
def rates(settings, clock):
    def set_rates(client="1200/minute", anonymous="1200/minute"):
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {"client": client, "anonymous": anonymous},
        }

    return set_rates


def anonymous(address="192.0.2.7", **headers):
    client = APIClient(REMOTE_ADDR=address, **headers)
    return client


def bad_token(address="192.0.2.7", **headers):
    client = anonymous(address, **headers)
    client.credentials(HTTP_AUTHORIZATION="Bearer evt_not-a-token")
    return client


# --- per client -------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.VIEWER, Role.PARTNER])
def test_throttle_per_client(api, rates, role):
    rates(client="3/minute")
    codes = [api(role).get(reverse(AREAS)).status_code for _ in range(4)]
    other = api(Role.COORDINATOR).get(reverse(AREAS)).status_code
    assert codes == [200, 200, 200, 429]
    assert other == 200


def test_throttle_budget_returns_with_the_next_window(api, rates, clock):
    rates(client="2/minute")
    clock["now"] = 6_000.0
    client, url = api(Role.VIEWER), reverse(AREAS)
    assert [client.get(url).status_code for _ in range(2)] == [200, 200]
    clock["now"] = 6_045.5
    refused = client.get(url)
    assert refused.status_code == 429 and refused["Retry-After"] == "15"
    clock["now"] = 6_060.0
    assert [client.get(url).status_code for _ in range(3)] == [200, 200, 429]


def test_throttle_counts_every_concurrent_request(rates):
    """Twenty requests at once against a budget of ten: exactly ten pass. A log read and written
    back whole (DRF's own throttle) lets concurrent requests overwrite each other's entries."""
    rates(client="10/hour")
    request = Request(RequestFactory().get("/api/v1/areas/", REMOTE_ADDR="192.0.2.7"))
    request.user = AnonymousUser()
    start = threading.Barrier(20)

    def attempt(_):
        start.wait(5)
        return ClientRateThrottle().allow_request(request, None)

    with ThreadPoolExecutor(20) as pool:
        allowed = list(pool.map(attempt, range(20)))
    assert allowed.count(True) == 10


# --- per address, without valid credentials -------------------------------------------------


def test_anonymous_requests_are_throttled_per_address(rates):
    rates(anonymous="3/minute")
    codes = [anonymous().get(reverse(AREAS)).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    refused = anonymous().get(reverse(AREAS))
    assert refused["Retry-After"] == "30"
    assert refused.json() == {"status": 429, "code": "throttled", "detail": refused.json()["detail"], "fields": {}}
    assert anonymous("198.51.100.1").get(reverse(AREAS)).status_code == 401


def test_invalid_tokens_are_throttled_per_address(rates):
    rates(anonymous="3/minute")
    assert [bad_token().get(reverse(AREAS)).status_code for _ in range(3)] == [401, 401, 401]
    with CaptureQueriesContext(connection) as queries:
        refused = bad_token().get(reverse(AREAS))
    assert refused.status_code == 429
    # The token's lookup, and nothing else: the view never runs.
    assert len(queries) == 1, [query["sql"] for query in queries.captured_queries]
    # Anonymous and invalid-token requests share the address's budget.
    assert anonymous().get(reverse(AREAS)).status_code == 429


def test_an_exhausted_address_does_not_lock_out_valid_tokens(api, rates):
    """Partners behind one proxy or NAT share an address with whoever floods it."""
    rates(anonymous="2/minute")
    assert [bad_token().get(reverse(AREAS)).status_code for _ in range(3)] == [401, 401, 429]
    viewer = api(Role.VIEWER)
    assert viewer.get(reverse(AREAS), REMOTE_ADDR="192.0.2.7").status_code == 200


def test_valid_tokens_do_not_spend_the_address_budget(api, rates):
    rates(anonymous="2/minute")
    viewer = api(Role.VIEWER)
    assert [viewer.get(reverse(AREAS), REMOTE_ADDR="192.0.2.7").status_code for _ in range(5)] == [200] * 5
    assert anonymous().get(reverse(AREAS)).status_code == 401


def test_writes_with_invalid_tokens_are_throttled_too(rates, incident_body):
    rates(anonymous="2/minute")
    url = reverse("api:incident-list")
    codes = [bad_token().post(url, incident_body(), format="json").status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    assert not Incident.objects.exists()


def test_the_address_behind_trusted_proxies_is_the_one_counted(rates, settings):
    """Behind one proxy, the address it appended is the client's; what the client wrote to the
    left of it (a forged X-Forwarded-For) changes nothing."""
    rates(anonymous="2/minute")
    settings.EVACTRACK_TRUSTED_PROXY_COUNT = 1

    def attempt(forwarded):
        return anonymous("10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded).get(reverse(AREAS)).status_code

    assert [attempt(f"{forged}, 203.0.113.5") for forged in ("1.1.1.1", "2.2.2.2", "3.3.3.3")] == [401, 401, 429]
    assert attempt("203.0.113.6") == 401  # another client behind the same proxy


def test_without_trusted_proxies_x_forwarded_for_is_ignored(rates, settings):
    rates(anonymous="2/minute")
    settings.EVACTRACK_TRUSTED_PROXY_COUNT = 0
    codes = [anonymous(HTTP_X_FORWARDED_FOR=f"203.0.113.{n}").get(reverse(AREAS)).status_code for n in range(3)]
    assert codes == [401, 401, 429]


# --- the cache is down ------------------------------------------------------------------------


@pytest.fixture
def cache_down(settings, caplog):
    settings.CACHES = REDIS_DOWN
    throttling.cache_outage.reset()
    caplog.set_level(logging.WARNING, logger="evactrack.access.throttling")
    yield caplog
    throttling.cache_outage.reset()


def test_reads_and_writes_go_through_when_the_cache_is_down(api, rates, cache_down, incident_body):
    rates(client="2/minute", anonymous="2/minute")
    partner = api(Role.PARTNER)
    assert [partner.get(reverse(AREAS)).status_code for _ in range(5)] == [200] * 5
    assert partner.post(reverse("api:incident-list"), incident_body(), format="json").status_code == 201
    assert anonymous().get(reverse(AREAS)).status_code == 401
    assert bad_token().get(reverse(AREAS)).status_code == 401
    warnings = [record for record in cache_down.records if record.name == "evactrack.access.throttling"]
    assert len(warnings) == 1 and "throttling is off" in warnings[0].getMessage()


def test_a_cache_outage_is_logged_once_a_minute_and_throttling_resumes(api, rates, settings, cache_down, clock):
    rates(client="2/minute")
    viewer = api(Role.VIEWER)
    outage = throttling.cache_outage
    monotonic = {"now": 1_000.0}
    outage.clock = lambda: monotonic["now"]
    for second in range(0, 130, 10):
        monotonic["now"] = 1_000.0 + second
        assert viewer.get(reverse(AREAS)).status_code == 200
    assert len([r for r in cache_down.records if r.name == "evactrack.access.throttling"]) == 3  # at 0, 60 and 120 s

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    monotonic["now"] += outage.retry_after
    assert [viewer.get(reverse(AREAS)).status_code for _ in range(3)] == [200, 200, 429]


def test_while_the_cache_is_down_requests_do_not_wait_for_it(api, rates, cache_down, monkeypatch):
    """After a failure the throttle leaves the cache alone for a few seconds instead of
    connecting again on every request."""
    rates(client="2/minute")
    viewer = api(Role.VIEWER)
    attempts = []

    def recorded(method):
        def call(self, *args, **kwargs):
            attempts.append(method.__name__)
            return method(self, *args, **kwargs)

        return call

    for name in ("get", "incr", "add"):
        monkeypatch.setattr(RedisCache, name, recorded(getattr(RedisCache, name)))
    assert [viewer.get(reverse(AREAS)).status_code for _ in range(5)] == [200] * 5
    assert len(attempts) == 1
