"""Requests without a valid token are throttled by client address, on a web server of their own.

The main server runs with a rate far above the suite's traffic; this one shares its database
and gets a low rate, so a burst of anonymous or invalid-token requests meets 429.
"""

import pytest

from tests.e2e.client import Client, assert_error

pytestmark = pytest.mark.e2e

BURST = 200
# Callers with a valid token, and requests without one (by client address).
LOW_RATE = {"EVACTRACK_API_RATE": "30/minute", "EVACTRACK_API_ANON_RATE": "30/minute"}


@pytest.fixture(scope="module")
def throttled_url(stack):
    url = stack.start_web("web-throttled", **LOW_RATE)
    yield url
    process = next(p for p in stack.processes if p.name == "web-throttled")
    stack.stop_process(process)


def burst(client, **headers) -> list:
    return [client.get("/api/v1/areas/", headers=headers) for _ in range(BURST)]


def assert_throttled(responses):
    statuses = [r.status_code for r in responses]
    assert 429 in statuses, f"no 429 in {len(statuses)} requests: {sorted(set(statuses))}"
    assert set(statuses) <= {401, 429}, sorted(set(statuses))
    limited = next(r for r in responses if r.status_code == 429)
    assert_error(limited, 429)
    assert limited.headers.get("Retry-After"), limited.headers


def test_anonymous_burst_is_throttled(throttled_url):
    assert_throttled(burst(Client(throttled_url)))


def test_invalid_token_burst_is_throttled(throttled_url):
    assert_throttled(burst(Client(throttled_url, "evt_not-a-real-token-at-all")))


def test_forged_forwarded_for_does_not_dodge_the_throttle(throttled_url):
    """No trusted proxy is configured: X-Forwarded-For is the client's word, not its address."""
    client = Client(throttled_url, "evt_another-made-up-token")
    responses = [
        client.get("/api/v1/areas/", headers={"X-Forwarded-For": f"198.51.100.{n % 250}"}) for n in range(BURST)
    ]
    assert_throttled(responses)


def test_an_exhausted_address_still_serves_valid_tokens(stack, throttled_url):
    """Partners behind one proxy share an address with whoever floods it with bad tokens."""
    assert_throttled(burst(Client(throttled_url, "evt_yet-another-made-up-token")))
    viewer = Client(throttled_url, stack.tokens["viewer"], name="viewer")
    assert viewer.get("/api/v1/areas/").status_code == 200
