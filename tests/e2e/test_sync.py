"""A partner's mirror kept by the change feed, as the README's recipe says, while writers from
several threads post bulk batches, edit, review and delete incidents, and write orders, counts
and designations: at the end the mirror equals a
fresh full read, row for row, for a partner and for a coordinator (nothing missed, nothing
extra, visibility respected). This is where syncing on `updated_since` lost whole bulk batches
that were still committing when the sync read."""

import itertools
import os
import threading
import time

import pytest

from tests.e2e.client import Client, describe
from tests.e2e.data import count_body, designation_body, incident_body, order_body, settlement

# The issue asks for 60 s of writing: CI (the CI variable set) runs that; a local run writes for
# 20 s, which still overlaps dozens of bulk commits with the followers' reads.
WRITE_SECONDS = 60 if os.environ.get("CI") else 20
BULK_ROWS = 200
# The project's 300 s per test also counts the stack's setup (3-4 minutes here) when this test
# is the first e2e test to run; a minute of writing and the final full reads come on top.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(600 + WRITE_SECONDS)]
TYPES = "incident,order,population_count,designation"
LISTS = {
    "incident": "/api/v1/incidents/",
    "order": "/api/v1/orders/",
    "population_count": "/api/v1/population-counts/",
    "designation": "/api/v1/designations/",
}


DESIGNATION_SUMMARY = "Sync test: on the list of active hostilities."
COUNT_SUMMARY = "Sync test: a count."
ORDER_SUMMARY = "Sync test: an order."
# What the rows this test writes say (the seeds' rows are read too).
WRITTEN_SUMMARIES = {
    "Corrected street.", "Batch row 0.", DESIGNATION_SUMMARY, COUNT_SUMMARY, ORDER_SUMMARY, "Sync test: order edited."
}  # fmt: skip


class Mirror:
    """What a client following /changes/ holds: {(type, uid): data}."""

    def __init__(self, client):
        self.client, self.after, self.rows = client, 0, {}

    def follow(self) -> int:
        """Read the feed until it says we are up to date; the number of entries applied."""
        applied = 0
        while True:
            params = {"after": self.after, "limit": 1000, "types": TYPES}
            page = self.client.json("GET", "/api/v1/changes/", params=params)
            for entry in page["results"]:
                key = (entry["type"], entry["uid"])
                if entry["action"] == "upsert":
                    self.rows[key] = entry["data"]
                else:
                    self.rows.pop(key, None)
            applied += len(page["results"])
            self.after = page["next_after"]
            if len(page["results"]) < 1000:
                return applied


def full_read(client) -> dict:
    return {
        (kind, row["uid"]): row
        for kind, path in LISTS.items()
        for row in client.all_pages(path, params={"limit": 1000})
    }


def own(client) -> Client:
    """A client of the same caller with a connection of its own (one per thread)."""
    return Client(client.base_url, client.token, name=client.name)


def writers(partner, other_partner, coordinator, stop: threading.Event, errors: list) -> list[threading.Thread]:
    areas = [settlement(partner, "sync", index) for index in range(5)]
    numbers = itertools.count()

    def guarded(work):
        def run():
            clients = {"partner": own(partner), "other_partner": own(other_partner), "coordinator": own(coordinator)}
            try:
                while not stop.is_set():
                    work(**clients)
            except Exception as error:  # noqa: BLE001 - the main thread reports it
                errors.append(error)

        return threading.Thread(target=run, daemon=True)

    def bulk(partner, **_others):
        rows = [incident_body(areas[next(numbers) % 5], summary=f"Batch row {i}.") for i in range(BULK_ROWS)]
        response = partner.post("/api/v1/incidents/bulk/", rows)
        assert response.status_code == 201, describe(response)

    def edit_review_delete(partner, coordinator, **_others):
        created = partner.post("/api/v1/incidents/", incident_body(areas[0]))
        assert created.status_code == 201, describe(created)
        url, etag = created.headers["Location"], created.headers["ETag"]
        uid = created.json()["uid"]
        edited = partner.patch(url, {"summary": "Corrected street."}, headers={"If-Match": etag})
        assert edited.status_code == 200, describe(edited)
        step = next(numbers) % 3
        if step == 0:  # verified, then rejected: partners must see it leave
            assert coordinator.post(f"/api/v1/incidents/{uid}/verify/", {}).status_code == 200
            assert coordinator.post(f"/api/v1/incidents/{uid}/reject/", {"note": "Duplicate."}).status_code == 200
        elif step == 1:
            assert coordinator.post(f"/api/v1/incidents/{uid}/verify/", {}).status_code == 200
        else:
            assert partner.delete(url).status_code == 204

    def other_organization(other_partner, **_others):
        assert other_partner.post("/api/v1/incidents/", incident_body(areas[1])).status_code == 201

    def counts(coordinator, **_others):
        body = count_body(areas[next(numbers) % 5], total=1000 + next(numbers), summary=COUNT_SUMMARY)
        assert coordinator.post("/api/v1/population-counts/", body).status_code == 201

    def designations(coordinator, **_others):
        created = coordinator.post(
            "/api/v1/designations/", designation_body(areas[next(numbers) % 5], summary=DESIGNATION_SUMMARY)
        )
        assert created.status_code == 201, describe(created)
        url, etag = created.headers["Location"], created.headers["ETag"]
        step = next(numbers) % 3
        if step == 0:  # ended: an update
            ended = {"valid_until": "2022-09-10", "valid_until_precision": "day"}
            edited = coordinator.patch(url, ended, headers={"If-Match": etag})
            assert edited.status_code == 200, describe(edited)
        elif step == 1:  # withdrawn: everyone must see it leave
            assert coordinator.delete(url).status_code == 204

    def orders(coordinator, **_others):
        created = coordinator.post("/api/v1/orders/", order_body(areas[next(numbers) % 5], summary=ORDER_SUMMARY))
        assert created.status_code == 201, describe(created)
        url, etag, uid = created.headers["Location"], created.headers["ETag"], created.json()["uid"]
        step = next(numbers) % 3
        if step == 0:  # lifted: an update every caller sees
            lifted = coordinator.post(f"/api/v1/orders/{uid}/lift/", {})
            assert lifted.status_code == 200, describe(lifted)
        elif step == 1:
            edited = coordinator.patch(url, {"summary": "Sync test: order edited."}, headers={"If-Match": etag})
            assert edited.status_code == 200, describe(edited)

    return [guarded(work) for work in (bulk, edit_review_delete, other_organization, counts, designations, orders)]


def test_a_mirror_kept_by_the_feed_equals_a_full_read(partner, other_partner, coordinator):
    mirrors = [Mirror(partner), Mirror(coordinator)]
    for mirror in mirrors:
        mirror.follow()
    stop, errors = threading.Event(), []
    threads = writers(partner, other_partner, coordinator, stop, errors)
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + WRITE_SECONDS
    applied = 0
    while time.monotonic() < deadline and not errors:
        applied += sum(mirror.follow() for mirror in mirrors)
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    for mirror in mirrors:
        mirror.follow()
    assert applied > BULK_ROWS, "the followers read while the writers wrote"
    for mirror in mirrors:
        truth = full_read(mirror.client)
        written = {kind for (kind, _uid), row in truth.items() if row["summary"] in WRITTEN_SUMMARIES}
        assert written == set(LISTS), f"{mirror.client.name}: rows of this test in {written} only"
        assert mirror.rows.keys() == truth.keys(), (
            f"{mirror.client.name}: missing {len(truth.keys() - mirror.rows.keys())}, "
            f"extra {len(mirror.rows.keys() - truth.keys())}"
        )
        differing = [key for key in truth if truth[key] != mirror.rows[key]]
        assert not differing, (mirror.client.name, differing[:3])
