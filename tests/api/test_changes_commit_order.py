"""The change feed misses nothing when transactions commit out of order (PostgreSQL, real
transactions on two connections): a transaction that wrote its entries first and commits last
still reaches a follower who kept next_after."""

import threading

import pytest
from django.db import connection, transaction
from django.urls import reverse

from evactrack.access.choices import Role
from reports.models import Change
from reports.services import CitationInput, changes_stamp, incident_create, incident_create_many
from tests.factories import AreaFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

FEED = reverse("api:change-list")


def incident_fields(area, source, summary):
    return {
        "citations": [CitationInput(source=source, locator="¶1")],
        "incident_type": "shelling",
        "occurred_on": "2023-08-10",
        "area": area,
        "summary": summary,
    }


def follow(client, after) -> tuple[set[str], int]:
    uids = set()
    while True:
        response = client.get(FEED, {"after": after, "types": "incident"})
        assert response.status_code == 200, response.content
        page = response.json()
        uids |= {entry["uid"] for entry in page["results"]}
        if not page["results"]:
            return uids, page["next_after"]
        after = page["next_after"]


def test_a_transaction_that_commits_last_is_not_skipped(api, area, source):
    follower = api(Role.COORDINATOR)
    # Another area: writers to one area wait for each other at its dirty mark.
    slow_area = AreaFactory(code="UA98010010010000002", name_uk="Ківшарівка", pcode="UA9801001002")
    _seen, after = follow(follower, 0)
    written, release, early = threading.Event(), threading.Event(), {}

    def slow_writer():
        try:
            with transaction.atomic():
                created = incident_create_many(rows=[incident_fields(slow_area, source, "Slow.") for _ in range(5)])
                early["uids"] = {str(incident.uid) for incident in created}
                written.set()
                # Entries inserted (with lower ids) but not committed while the others go ahead.
                assert release.wait(30)
        finally:
            written.set()
            connection.close()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    try:
        assert written.wait(30) and "uids" in early
        fast = {str(incident_create(**incident_fields(area, source, "Fast.")).uid) for _ in range(3)}
        seen, after = follow(follower, after)
        assert seen == fast  # the slow transaction's rows are not visible yet
    finally:
        release.set()
        thread.join(30)
    seen, after = follow(follower, after)
    assert seen == early["uids"]
    assert follow(follower, after) == (set(), after)


def test_stampers_take_turns(area, source):
    """Two stamping transactions: the second waits for the first's lock and starts above its seqs."""
    other_area = AreaFactory(code="UA98010010010000002", name_uk="Ківшарівка", pcode="UA9801001002")
    for _ in range(3):
        incident_create(**incident_fields(area, source, "One."))
    holding, release, done = threading.Event(), threading.Event(), {}

    def first():
        try:
            with transaction.atomic():
                done["first"] = changes_stamp()
                holding.set()
                assert release.wait(30)
        finally:
            holding.set()
            connection.close()

    thread = threading.Thread(target=first)
    thread.start()
    try:
        assert holding.wait(30)
        incident_create(**incident_fields(other_area, source, "Two."))
        second = threading.Thread(target=lambda: (done.__setitem__("second", changes_stamp()), connection.close()))
        second.start()
        second.join(1)
        assert second.is_alive()  # waiting for the first stamper's advisory lock
    finally:
        release.set()
        thread.join(30)
    second.join(30)
    assert done == {"first": 4, "second": 1}  # the source's entry and three incidents, then one
    assert list(Change.objects.order_by("id").values_list("seq", flat=True)) == [1, 2, 3, 4, 5]
