"""Retries with an Idempotency-Key create one row, however the client retries.

Five requests at once from threads meet two gunicorn workers: one creates, the others wait
(409) or replay the stored answer; five in a row replay it. The list then holds one row.
"""

import json
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.client import Client, describe
from tests.e2e.data import incident_body, settlement

pytestmark = pytest.mark.e2e


def rows_in(client, area: str) -> list[dict]:
    return client.all_pages("/api/v1/incidents/", params={"area": area})


def test_five_retries_in_a_row_create_one_row(partner):
    area = settlement(partner, "idempotency", 0)
    key = str(uuid.uuid4())
    answers = [partner.post("/api/v1/incidents/", incident_body(area), headers={"Idempotency-Key": key})
               for _ in range(5)]  # fmt: skip
    assert [a.status_code for a in answers] == [201] * 5, [describe(a) for a in answers]
    assert [a.headers.get("Idempotent-Replayed") for a in answers[1:]] == ["true"] * 4
    assert {a.json()["uid"] for a in answers} == {answers[0].json()["uid"]}
    assert [row["uid"] for row in rows_in(partner, area)] == [answers[0].json()["uid"]]


def test_five_retries_at_once_create_one_row(stack, partner):
    area = settlement(partner, "idempotency", 1)
    key = str(uuid.uuid4())

    def send(_):
        # One connection per thread: requests' Session is not thread-safe.
        client = Client(stack.base_url, stack.tokens["partner"])
        return client.post("/api/v1/incidents/", incident_body(area), headers={"Idempotency-Key": key})

    with ThreadPoolExecutor(max_workers=5) as pool:
        answers = list(pool.map(send, range(5)))
    statuses = sorted(a.status_code for a in answers)
    assert set(statuses) <= {201, 409}, [describe(a) for a in answers]
    assert 201 in statuses
    assert len({a.json()["uid"] for a in answers if a.status_code == 201}) == 1
    assert len(rows_in(partner, area)) == 1
    # After the dust settles, a retry replays the one row.
    replay = partner.post("/api/v1/incidents/", incident_body(area), headers={"Idempotency-Key": key})
    assert replay.status_code == 201 and replay.headers.get("Idempotent-Replayed") == "true", describe(replay)


def test_same_json_with_keys_in_another_order_replays(partner):
    area = settlement(partner, "idempotency", 2)
    key = str(uuid.uuid4())
    body = incident_body(area)
    first = partner.request("POST", "/api/v1/incidents/", data=json.dumps(body),
                            headers={"Idempotency-Key": key, "Content-Type": "application/json"})  # fmt: skip
    assert first.status_code == 201, describe(first)
    reordered = json.dumps(dict(reversed(list(body.items()))), indent=2)
    again = partner.request("POST", "/api/v1/incidents/", data=reordered,
                            headers={"Idempotency-Key": key, "Content-Type": "application/json"})  # fmt: skip
    assert again.status_code == 201, describe(again)
    assert again.headers.get("Idempotent-Replayed") == "true"
    assert again.json()["uid"] == first.json()["uid"]
    assert len(rows_in(partner, area)) == 1


def test_same_key_other_body_is_422(partner):
    area = settlement(partner, "idempotency", 3)
    key = str(uuid.uuid4())
    assert partner.post("/api/v1/incidents/", incident_body(area), headers={"Idempotency-Key": key}).status_code == 201
    other = partner.post("/api/v1/incidents/", incident_body(area, summary="Another event."),
                         headers={"Idempotency-Key": key})  # fmt: skip
    assert other.status_code == 422, describe(other)
    assert len(rows_in(partner, area)) == 1


def test_bulk_retries_create_each_row_once(partner):
    area = settlement(partner, "idempotency", 4)
    key = str(uuid.uuid4())
    rows = [incident_body(area, summary=f"Row {n}.") for n in range(3)]
    answers = [partner.post("/api/v1/incidents/bulk/", rows, headers={"Idempotency-Key": key}) for _ in range(3)]
    assert [a.status_code for a in answers] == [201] * 3, [describe(a) for a in answers]
    assert len(rows_in(partner, area)) == 3
