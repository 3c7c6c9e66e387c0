"""Retries never duplicate (Idempotency-Key); updates never overwrite unseen changes (If-Match)."""

import datetime
import threading
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evactrack.access.choices import IdempotencyState
from evactrack.access.models import IdempotencyRecord
from reports import services
from reports.models import Citation, DirtyArea, Incident

pytestmark = pytest.mark.django_db
LIST = "api:incident-list"


def post(client, body, key=None, route=LIST):
    headers = {"HTTP_IDEMPOTENCY_KEY": key} if key else {}
    return client.post(reverse(route), body, format="json", **headers)


# --- Idempotency-Key --------------------------------------------------------------------------


def test_same_key_same_body_replays_and_creates_one_row(partner, incident_body):
    first = post(partner, incident_body(), key="k-1")
    second = post(partner, incident_body(), key="k-1")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true" and second["Location"] == first["Location"]
    assert Incident.objects.count() == 1


def test_same_key_other_body_is_422(partner, incident_body):
    assert post(partner, incident_body(), key="k-1").status_code == 201
    response = post(partner, incident_body(summary="Something else."), key="k-1")
    assert response.status_code == 422 and response.json()["code"] == "idempotency_key_reused"
    assert Incident.objects.count() == 1


def test_key_in_flight_is_409(partner, incident_body):
    client_id = f"token:{partner.user.api_tokens.get().pk}"
    IdempotencyRecord.objects.create(
        client=client_id, key="k-1", request_digest="x", state=IdempotencyState.IN_FLIGHT,
        expires_at=timezone.now() + datetime.timedelta(hours=1),
    )  # fmt: skip
    response = post(partner, incident_body(), key="k-1")
    assert response.status_code in (409, 422)
    assert Incident.objects.count() == 0


def test_in_flight_same_body_is_409(partner, incident_body, monkeypatch):
    """While the first request runs, a retry with the same key and body waits its turn (409)."""
    seen = {}
    original = services.incident_create

    def create_and_retry(**kwargs):
        seen["retry"] = post(partner, incident_body(), key="k-1")
        return original(**kwargs)

    monkeypatch.setattr(services, "incident_create", create_and_retry)
    assert post(partner, incident_body(), key="k-1").status_code == 201
    assert seen["retry"].status_code == 409 and seen["retry"].json()["code"] == "in_flight"
    assert Incident.objects.count() == 1


def test_keys_are_scoped_per_client(api, incident_body, other_org):
    assert post(api("partner"), incident_body(), key="k-1").status_code == 201
    response = post(api("partner", other_org), incident_body(), key="k-1")
    assert response.status_code == 201 and "Idempotent-Replayed" not in response
    assert Incident.objects.count() == 2


def test_expired_key_can_be_reused(partner, incident_body):
    assert post(partner, incident_body(), key="k-1").status_code == 201
    IdempotencyRecord.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert "Idempotent-Replayed" not in post(partner, incident_body(), key="k-1")
    assert Incident.objects.count() == 2


def test_validation_errors_are_replayed_too(partner, incident_body):
    bad = incident_body(area="UA00000000000000000")
    assert post(partner, bad, key="k-1").status_code == 400
    again = post(partner, bad, key="k-1")
    assert again.status_code == 400 and again["Idempotent-Replayed"] == "true"


def test_server_error_releases_the_key(partner, incident_body, monkeypatch):
    def boom(**kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(services, "incident_create", boom)
    assert post(partner, incident_body(), key="k-1").status_code == 500  # logged, in the error shape
    assert not IdempotencyRecord.objects.exists()


def test_bad_key_is_400(partner, incident_body):
    assert post(partner, incident_body(), key="x" * 300).status_code == 400


# SQLite's in-memory test database locks whole tables across threads ("table is locked"), which
# a file database in WAL mode with a busy timeout does not; the race is tested where it is real.
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_retries_create_one_row(api, own_org, area, source, incident_body, monkeypatch):
    """A copy of a request arrives while the first still holds its key: it waits for the first
    to commit, then replays its answer. The test holds the first inside its write until the
    twin is seen waiting, so the order is forced and one outcome is right."""
    partner = api("partner")
    original = services.incident_create
    creating, release = threading.Event(), threading.Event()

    def held_create(**kwargs):
        creating.set()
        assert release.wait(30), "the test never released the first request"
        return original(**kwargs)

    monkeypatch.setattr(services, "incident_create", held_create)
    responses = {}

    def send(name):
        try:
            responses[name] = post(partner, incident_body(), key="same")
        except Exception as error:  # noqa: BLE001 - reported in the assertions below
            responses[name] = error
        finally:
            connection.close()

    first = threading.Thread(target=send, args=("first",))
    first.start()
    try:
        assert creating.wait(30), "the first request never reached its write"
        twin = threading.Thread(target=send, args=("twin",))
        twin.start()
        _until_a_session_waits_for_a_lock()
    finally:
        release.set()
    first.join(30)
    twin.join(30)
    first_response, twin_response = responses["first"], responses["twin"]
    assert first_response.status_code == 201, first_response
    assert "Idempotent-Replayed" not in first_response
    assert twin_response.status_code == 201, twin_response
    assert twin_response["Idempotent-Replayed"] == "true"
    assert twin_response.json() == first_response.json()
    assert Incident.objects.count() == 1


def _until_a_session_waits_for_a_lock(timeout=30.0):
    """Return once another session of the test database waits for a lock (the twin, on the
    first request's uncommitted key)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.01)
    raise AssertionError("the twin never waited for the first request's key")


# --- If-Match / ETag --------------------------------------------------------------------------


@pytest.fixture
def created(partner, incident_body):
    response = post(partner, incident_body())
    return reverse("api:incident-detail", kwargs={"uid": response.json()["uid"]}), response["ETag"]


def test_update_without_if_match_is_428(partner, created):
    url, _etag = created
    response = partner.patch(url, {"summary": "x"}, format="json")
    assert response.status_code == 428 and response.json()["code"] == "precondition_required"


def test_stale_if_match_is_412_and_changes_nothing(partner, created):
    url, etag = created
    assert partner.patch(url, {"summary": "first"}, format="json", HTTP_IF_MATCH=etag).status_code == 200
    response = partner.patch(url, {"summary": "second"}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 412
    assert partner.get(url).json()["summary"] == "first"


def test_etag_changes_on_write_and_304_when_unchanged(partner, created):
    url, etag = created
    assert partner.get(url)["ETag"] == etag
    assert partner.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    new = partner.put(
        url, {**partner.get(url).json(), "summary": "replaced", "citations": [{"source": "wire-1"}]},
        format="json", HTTP_IF_MATCH=etag,
    )  # fmt: skip
    assert new.status_code == 200, new.content
    assert new["ETag"] != etag and partner.get(url)["ETag"] == new["ETag"]


def test_delete_with_stale_if_match_is_412(partner, created):
    url, etag = created
    partner.patch(url, {"summary": "first"}, format="json", HTTP_IF_MATCH=etag)
    assert partner.delete(url, HTTP_IF_MATCH=etag).status_code == 412
    assert partner.delete(url).status_code == 204


# --- bulk -------------------------------------------------------------------------------------


def test_bulk_creates_1000_with_citations_history_and_dirty_marks(partner, incident_body, area):
    rows = [incident_body(summary=f"row {i}") for i in range(1000)]
    response = post(partner, rows, route="api:incident-bulk")
    assert response.status_code == 201, response.content
    assert len(response.json()) == 1000 and Incident.objects.count() == 1000
    assert Incident.history.count() == 1000
    assert Citation.objects.filter(incident__isnull=False).count() == 1000
    assert DirtyArea.objects.filter(area=area).exists()
    assert {row["reporting_organization"] for row in response.json()} == {"own-org"}


def test_bulk_is_all_or_nothing_with_row_errors(partner, incident_body):
    future = (timezone.localdate() + datetime.timedelta(days=2)).isoformat()
    rows = [
        incident_body(),
        incident_body(area="UA00000000000000000"),
        incident_body(),
        incident_body(occurred_on=future),
    ]
    response = post(partner, rows, route="api:incident-bulk")
    assert response.status_code == 400
    body = response.json()
    assert set(body["rows"]) == {"1"} and "area" in body["rows"]["1"], body
    # Shape errors come first; rows that pass them are then checked by the service.
    response = post(partner, [rows[0], rows[3]], route="api:incident-bulk")
    assert response.status_code == 400
    assert set(response.json()["rows"]) == {"1"} and "occurred_on" in response.json()["rows"]["1"], response.json()
    assert Incident.objects.count() == 0


def test_bulk_limits(partner, incident_body):
    assert post(partner, [], route="api:incident-bulk").status_code == 400
    assert post(partner, incident_body(), route="api:incident-bulk").status_code == 400
    too_many = [incident_body()] * 1001
    assert post(partner, too_many, route="api:incident-bulk").status_code == 400


def test_bulk_accepts_1000_rows_and_names_the_bad_one(partner, incident_body):
    """1,000 rows pass the shape checks in a handful of queries; one bad row stops them all.
    (Creating 1,000 through the services is timed by the benchmark, not here.)"""
    rows = [incident_body(summary=f"{i}") for i in range(999)] + [incident_body(area="UA00000000000000000")]
    with CaptureQueriesContext(connection) as queries:
        response = post(partner, rows, route="api:incident-bulk")
    assert response.status_code == 400 and set(response.json()["rows"]) == {"999"}
    assert len(queries) < 10, [q["sql"] for q in queries.captured_queries]
    assert Incident.objects.count() == 0


def test_bulk_replays_with_idempotency_key(partner, incident_body):
    rows = [incident_body(summary=f"{i}") for i in range(3)]
    assert post(partner, rows, key="b-1", route="api:incident-bulk").status_code == 201
    assert post(partner, rows, key="b-1", route="api:incident-bulk")["Idempotent-Replayed"] == "true"
    assert Incident.objects.count() == 3
