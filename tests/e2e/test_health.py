"""The installation is up: every process answers, as an operator checks after `./dev run`."""

import pytest

pytestmark = pytest.mark.e2e


def test_health_and_api_root_answer(anonymous, partner):
    health = anonymous.json("GET", "/health/")
    assert health["status"] == "ok" and health["failing"] == [], health
    root = partner.json("GET", "/api/v1/")
    assert {"areas", "incidents", "orders", "population-counts", "sources", "deletions"} <= set(root)


def test_anonymous_is_401_in_the_error_shape(anonymous):
    from tests.e2e.client import assert_error

    body = assert_error(anonymous.get("/api/v1/incidents/"), 401)
    assert body["code"] == "not_authenticated"
