"""PostgreSQL: the web's database connections terminated during a 1,000-incident bulk write with an
Idempotency-Key; the same key retried afterwards makes exactly one set of 1,000 rows."""

import datetime
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.chaos.faults import assert_settled, terminate, web_backends
from tests.e2e.client import Client, describe
from tests.e2e.harness import wait_for

pytestmark = [pytest.mark.chaos, pytest.mark.usefixtures("postgres_only")]

ROWS = 1000


def bulk_body(area: str, key: str) -> list[dict]:
    yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    return [
        {"incident_type": "shelling", "occurred_on": yesterday, "area": area, "fatalities": 0,
         "fatalities_qualifier": "exact", "summary": f"Chaos bulk {key} row {n}.",
         "citations": [{"source": "afp-2023-08-kupiansk-evacuation-call", "locator": "¶1"}]}
        for n in range(ROWS)
    ]  # fmt: skip


def rows_of(client, area: str, key: str) -> list[dict]:
    rows = client.all_pages("/api/v1/incidents/", params={"area": area, "limit": 500})
    return [row for row in rows if row["summary"].startswith(f"Chaos bulk {key} ")]


@pytest.mark.parametrize("index", [0, 1])
def test_connections_terminated_during_a_bulk_write_then_the_key_retried(stack, settlements, partner_token, index):
    area, key = settlements[46 + index], f"chaos-bulk-{uuid.uuid4().hex}"
    body = bulk_body(area, key)
    client = Client(stack.base_url, partner_token)

    def send():
        own = Client(stack.base_url, partner_token)
        try:
            return own.post("/api/v1/incidents/bulk/", body, headers={"Idempotency-Key": key})
        except Exception as error:  # noqa: BLE001 - a reset connection is an answer too
            return error

    with ThreadPoolExecutor(max_workers=1) as pool:
        first = pool.submit(send)
        # The first round cuts the write's transaction; the second cuts every web connection
        # as soon as the answer is out (after the commit), as a failover would.
        if index == 0:
            terminated = wait_for(lambda: terminate(stack, web_backends(stack, in_transaction=True)),
                                  what="the bulk write's transaction to begin", timeout=60, interval=0.01)  # fmt: skip
        first = first.result(timeout=120)
    if index == 1:
        terminated = terminate(stack, web_backends(stack))
    assert terminated, "no connection of the web server was terminated"
    first_status = getattr(first, "status_code", None)
    retry = client.post("/api/v1/incidents/bulk/", body, headers={"Idempotency-Key": key})
    assert retry.status_code == 201, describe(retry)
    again = client.post("/api/v1/incidents/bulk/", body, headers={"Idempotency-Key": key})
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true", describe(again)
    rows = rows_of(client, area, key)
    assert len(rows) == ROWS, f"{len(rows)} rows for one Idempotency-Key (first answer: {first_status})"
    uids = {row["uid"] for row in rows}
    assert {row["uid"] for row in retry.json()} == uids
    if first_status == 201:
        assert {row["uid"] for row in first.json()} == uids, "the first 2xx answer's rows are not the ones stored"
    assert_settled(stack, why="after terminated connections: ")
