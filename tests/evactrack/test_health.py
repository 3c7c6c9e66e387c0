"""/health/ names the state of each dependency and fails (503) only without the database: a web
process that still has its database serves reads and writes while Redis is away."""

import time

import pytest
from django.db import OperationalError, connection
from django.urls import reverse

pytestmark = pytest.mark.django_db
# Nothing listens on port 1: every connection is refused at once.
CLOSED_PORT = "redis://127.0.0.1:1/0"


@pytest.fixture
def cache_down(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CLOSED_PORT}}


@pytest.fixture
def broker_down(settings):
    settings.CELERY_BROKER_URL = CLOSED_PORT
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}


def test_all_dependencies_answer(client):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "checks": {"database": "ok", "broker": "ok", "cache": "ok"},
        "failing": [],
    }


def test_cache_down_is_degraded_not_down(client, cache_down):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"] == {"database": "ok", "broker": "ok", "cache": "down"}
    assert response.json()["failing"] == ["cache"]


def test_broker_down_is_degraded_not_down(client, broker_down):
    response = client.get(reverse("health"))
    assert response.status_code == 200
    assert response.json()["status"] == "degraded" and response.json()["failing"] == ["broker"]


def test_a_queue_folder_that_is_gone_is_a_broker_down(client, settings, tmp_path):
    settings.CELERY_BROKER_URL = "filesystem://localhost/"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(tmp_path / "missing"),
        "data_folder_out": str(tmp_path / "missing"),
    }
    assert client.get(reverse("health")).json()["failing"] == ["broker"]


def test_database_down_is_503(client, monkeypatch):
    def unreachable(*args, **kwargs):
        raise OperationalError("could not connect to server")

    monkeypatch.setattr(connection, "cursor", unreachable)
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["status"] == "down" and response.json()["failing"] == ["database"]


def test_every_dependency_down_still_answers_quickly(client, monkeypatch, cache_down, broker_down):
    monkeypatch.setattr(connection, "cursor", lambda *a, **k: (_ for _ in ()).throw(OperationalError("gone")))
    started = time.monotonic()
    response = client.get(reverse("health"))
    assert response.status_code == 503
    assert response.json()["failing"] == ["database", "broker", "cache"]
    assert time.monotonic() - started < 3


def test_the_answer_names_no_error_details(client, cache_down, broker_down):
    """The endpoint is public: host names, ports and driver messages stay in the log."""
    text = client.get(reverse("health")).content.decode()
    assert "127.0.0.1" not in text and "Error" not in text
