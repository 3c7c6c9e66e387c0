"""A partner's mirror kept by the change feed, as the README's recipe says, while writers from
several threads post bulk batches, edit, review and delete: at the end the mirror equals a
fresh full read, row for row, for a partner and for a coordinator (nothing missed, nothing
extra, visibility respected). This is where syncing on `updated_since` lost whole bulk batches
that were still committing when the sync read."""

import itertools
import threading
import time

import pytest

from tests.e2e.client import Client, describe
from tests.e2e.data import count_body, incident_body, settlement

pytestmark = pytest.mark.e2e

WRITE_SECONDS = 20
BULK_ROWS = 200
TYPES = "incident,population_count"
LISTS = {"incident": "/api/v1/incidents/", "population_count": "/api/v1/population-counts/"}


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
        body = count_body(areas[next(numbers) % 5], total=1000 + next(numbers))
        assert coordinator.post("/api/v1/population-counts/", body).status_code == 201

    return [guarded(work) for work in (bulk, edit_review_delete, other_organization, counts)]


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
        assert mirror.rows.keys() == truth.keys(), (
            f"{mirror.client.name}: missing {len(truth.keys() - mirror.rows.keys())}, "
            f"extra {len(mirror.rows.keys() - truth.keys())}"
        )
        differing = [key for key in truth if truth[key] != mirror.rows[key]]
        assert not differing, (mirror.client.name, differing[:3])
