"""An Idempotency-Key's record commits with the facts it answers for, or not at all.

A retry then either replays the stored response or finds nothing written: a connection lost
between the write and the record can no longer leave rows behind that a retry writes again.
"""

import threading

import pytest
from django.db import connection
from django.urls import reverse

from evactrack.access import services as api_services
from evactrack.access.models import IdempotencyRecord
from reports import services
from reports.models import DirtyArea, Incident

LIST, BULK = "api:incident-list", "api:incident-bulk"


def post(client, body, *, key, route=LIST, **extra):
    return client.post(reverse(route), body, format="json", HTTP_IDEMPOTENCY_KEY=key, **extra)


# --- the same JSON, written differently ---------------------------------------------------------


@pytest.mark.django_db
def test_same_json_with_keys_in_another_order_replays(partner, incident_body):
    body = incident_body()
    reordered = dict(reversed(list(body.items())))
    assert list(reordered) != list(body)
    first = post(partner, body, key="k-1")
    second = post(partner, reordered, key="k-1")
    assert first.status_code == second.status_code == 201
    assert second["Idempotent-Replayed"] == "true" and second.json() == first.json()
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_same_json_with_other_whitespace_replays(partner, incident_body):
    import json

    body = incident_body()
    compact = json.dumps(body, separators=(",", ":"))
    spaced = json.dumps(body, indent=4, sort_keys=True)
    url = reverse(LIST)
    first = partner.post(url, compact, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    second = partner.post(url, spaced, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 201 and second["Idempotent-Replayed"] == "true"
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_other_values_with_one_key_are_still_422(partner, incident_body):
    body = incident_body()
    assert post(partner, body, key="k-1").status_code == 201
    assert post(partner, {**body, "summary": body["summary"] + "!"}, key="k-1").status_code == 422
    # Lists keep their order: the same rows in another order are another request.
    rows = [incident_body(summary="a"), incident_body(summary="b")]
    assert post(partner, rows, key="b-1", route=BULK).status_code == 201
    assert post(partner, rows[::-1], key="b-1", route=BULK).status_code == 422


@pytest.mark.django_db
def test_a_body_that_is_not_json_is_compared_as_bytes(partner):
    url = reverse(LIST)
    first = partner.post(url, b"{not json", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = partner.post(url, b"{not json", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = partner.post(url, b"{not json!", content_type="application/json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == 400 and again["Idempotent-Replayed"] == "true"
    assert other.status_code == 422


def test_json_too_deep_to_rewrite_is_compared_as_bytes():
    from django.test import RequestFactory
    from rest_framework.request import Request

    from evactrack.access.viewsets import request_digest

    def digest(body):
        return request_digest(Request(RequestFactory().post("/x/", body, content_type="application/json")))

    for depth in (300, 5_000):  # too deep for orjson to write back, then to read
        deep = "[" * depth + "]" * depth
        assert digest(deep) == digest(deep) != digest(deep + " ")
    assert digest('{"a": 1, "b": [1, 2]}') == digest('{"b":[1,2],"a":1}') != digest('{"a": 1, "b": [2, 1]}')


# --- the record commits with the facts --------------------------------------------------------


def assert_server_error(send) -> None:
    """The request failed on our side, whichever way that reaches the client: a 500 in the
    error shape, or (where the exception handler lets it through) the exception itself."""
    try:
        response = send()
    except (ConnectionError, RuntimeError):
        return
    assert response.status_code == 500, response.content


def lose_the_connection_before_the_record(monkeypatch):
    """The write succeeded; the process dies before the response is recorded."""

    def connection_lost(**kwargs):
        raise ConnectionError("server closed the connection unexpectedly")

    monkeypatch.setattr(api_services, "idempotency_finish", connection_lost)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_lost_connection_before_the_record_leaves_nothing_and_the_retry_writes_once(
    partner, incident_body, monkeypatch
):
    rows = [incident_body(summary=f"row {i}") for i in range(20)]
    with monkeypatch.context() as patch:
        lose_the_connection_before_the_record(patch)
        assert post(partner, rows, key="bulk-1", route=BULK).status_code == 500  # logged, in the error shape
    assert Incident.objects.count() == 0 and not DirtyArea.objects.exists()
    assert not IdempotencyRecord.objects.exists()

    retry = post(partner, rows, key="bulk-1", route=BULK)
    again = post(partner, rows, key="bulk-1", route=BULK)
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry
    assert again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert Incident.objects.count() == 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_failure_after_the_write_rolls_the_write_back(partner, incident_body, monkeypatch):
    original = services.incident_create

    def create_then_fail(**kwargs):
        original(**kwargs)
        raise RuntimeError("worker killed after the insert")

    with monkeypatch.context() as patch:
        patch.setattr(services, "incident_create", create_then_fail)
        assert post(partner, incident_body(), key="k-1").status_code == 500  # logged, in the error shape
    assert not Incident.objects.exists() and not IdempotencyRecord.objects.exists()
    assert post(partner, incident_body(), key="k-1").status_code == 201
    assert Incident.objects.count() == 1


@pytest.mark.django_db
def test_in_process_failure_before_the_record_leaves_nothing(partner, incident_body, monkeypatch):
    """The same on SQLite, inside the test's transaction (the write is a savepoint there)."""
    with monkeypatch.context() as patch:
        lose_the_connection_before_the_record(patch)
        assert post(partner, incident_body(), key="k-1").status_code == 500  # logged, in the error shape
    assert not Incident.objects.exists() and not IdempotencyRecord.objects.exists()
    assert post(partner, incident_body(), key="k-1").status_code == 201
    assert Incident.objects.count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_five_concurrent_retries_with_one_key_write_one_row(api, own_org, area, source, incident_body, monkeypatch):
    """The first claims the key in its transaction; the others wait on the key's row and replay
    its answer once it commits: one row, and no copy told to retry (409)."""
    partner = api("partner")
    original = services.incident_create
    claimed = threading.Event()

    def slow_create(**kwargs):
        claimed.set()
        threading.Event().wait(0.5)  # the key stays claimed while the copies arrive
        return original(**kwargs)

    monkeypatch.setattr(services, "incident_create", slow_create)
    barrier = threading.Barrier(5)
    statuses, lock = [], threading.Lock()

    def send():
        barrier.wait(10)
        try:
            response = post(partner, incident_body(), key="same")
            outcome = (response.status_code, response.get("Idempotent-Replayed", ""))
        except Exception as error:  # noqa: BLE001 - reported in the assertion below
            outcome = (repr(error), "")
        finally:
            connection.close()
        with lock:
            statuses.append(outcome)

    threads = [threading.Thread(target=send) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert claimed.is_set()
    assert len(statuses) == 5, statuses
    created = [s for s in statuses if s == (201, "")]
    others = [s for s in statuses if s not in created]
    assert len(created) == 1, statuses
    assert others == [(201, "true")] * 4, statuses
    assert Incident.objects.count() == 1
    assert IdempotencyRecord.objects.get().status_code == 201
