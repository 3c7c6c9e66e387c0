"""Dirty marks are never lost: a change committed around a recompute keeps its area's mark.

The PostgreSQL cases run the writer and the recompute on two connections (two threads) and
order them with events and by polling the server for a backend waiting on a lock, so each
interleaving happens every time.
"""

import datetime
import threading
import time

import pytest
from django.db import connection, transaction
from django.utils import timezone

from evactrack.status import services as status_services
from evactrack.status.services import status_recompute_dirty, status_recompute_full
from reports.models import DirtyArea
from reports.services import areas_mark_dirty
from tests.factories import AreaFactory, IncidentFactory, SourceFactory

RECENT = timezone.localdate() - datetime.timedelta(days=2)
# Generous: a thread that has not reached its next step by then is a failure, not a slow machine.
DEADLINE = 30.0


def wait_until(predicate, *, what: str, timeout: float = DEADLINE):
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


def wait_for_event(event: threading.Event, what: str):
    if not event.wait(DEADLINE):
        raise AssertionError(f"timed out after {DEADLINE:.0f} s waiting for {what}")


def backends_waiting_on_a_lock() -> int:
    # pg_locks, not pg_stat_activity: the latter is a snapshot held for the whole transaction.
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(DISTINCT pid) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0]


class Thread(threading.Thread):
    """A thread with its own database connection, closed at the end; its exception is re-raised by `finish`."""

    def __init__(self, target):
        super().__init__(daemon=True)
        self.work, self.error = target, None

    def run(self):
        try:
            self.work()
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            self.error = error
        finally:
            connection.close()

    def finish(self):
        self.join(DEADLINE)
        assert not self.is_alive(), "the thread did not finish"
        if self.error:
            raise self.error


def statuses_match_a_fresh_recompute() -> bool:
    return status_recompute_full(every_area=True).rows_written == 0


@pytest.mark.django_db
def test_marking_an_area_again_bumps_its_version_and_keeps_its_first_time():
    area = AreaFactory()
    areas_mark_dirty(areas=[area])
    first = DirtyArea.objects.get(area=area)
    areas_mark_dirty(areas=[area])
    again = DirtyArea.objects.get(area=area)
    assert (again.version, again.marked_at) == (first.version + 1, first.marked_at)


@pytest.mark.django_db
def test_a_recompute_deletes_only_the_mark_versions_it_read(monkeypatch):
    """A change marked after the recompute read the marks (and its inputs) keeps its mark."""
    read, marked_meanwhile = AreaFactory(), AreaFactory()
    areas_mark_dirty(areas=[read, marked_meanwhile])
    evaluate = status_services.load_and_evaluate

    def evaluate_then_mark_again(**kwargs):
        computation = evaluate(**kwargs)
        # On PostgreSQL the claim's row lock keeps writers out until commit; on SQLite the
        # recompute holds the write lock. Marking here stands for a writer neither stops.
        areas_mark_dirty(areas=[marked_meanwhile])
        return computation

    monkeypatch.setattr(status_services, "load_and_evaluate", evaluate_then_mark_again)
    assert status_recompute_dirty().areas_computed
    assert list(DirtyArea.objects.values_list("area_id", flat=True)) == [marked_meanwhile.pk]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_open_while_a_recompute_runs_keeps_its_mark():
    """The writer's mark meets a mark already waiting, and the recompute runs before the writer commits."""
    source = SourceFactory()
    area = AreaFactory()
    IncidentFactory(area=area, occurred_on=RECENT, source=source)  # its mark is waiting
    marked, recomputed = threading.Event(), threading.Event()

    def writer():
        with transaction.atomic():
            IncidentFactory(area=area, occurred_on=RECENT - datetime.timedelta(days=1), source=source)
            marked.set()
            wait_for_event(recomputed, "the recompute")

    thread = Thread(writer)
    thread.start()
    wait_for_event(marked, "the writer's mark")
    try:
        status_recompute_dirty()  # must not wait for the writer
    finally:
        recomputed.set()
        thread.finish()
    assert DirtyArea.objects.filter(area=area).exists(), "the committed change has no mark"
    status_recompute_dirty()
    assert not DirtyArea.objects.exists()
    assert statuses_match_a_fresh_recompute()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_meeting_a_claimed_mark_marks_its_area_after_the_claim(monkeypatch):
    """The recompute has claimed and read the mark; the writer's mark waits for its commit, then stands."""
    source = SourceFactory()
    area = AreaFactory()
    IncidentFactory(area=area, occurred_on=RECENT, source=source)
    claimed, writer_started = threading.Event(), threading.Event()
    evaluate = status_services.load_and_evaluate

    def evaluate_while_the_writer_waits(**kwargs):
        computation = evaluate(**kwargs)
        claimed.set()
        wait_for_event(writer_started, "the writer")
        wait_until(lambda: backends_waiting_on_a_lock() == 1, what="the writer to wait for the claimed mark")
        return computation

    def recompute():
        status_recompute_dirty()

    def writer():
        wait_for_event(claimed, "the claim")
        writer_started.set()
        IncidentFactory(area=area, occurred_on=RECENT - datetime.timedelta(days=1), source=source)

    monkeypatch.setattr(status_services, "load_and_evaluate", evaluate_while_the_writer_waits)
    recompute_thread, writer_thread = Thread(recompute), Thread(writer)
    recompute_thread.start()
    writer_thread.start()
    try:
        recompute_thread.finish()
    finally:
        claimed.set(), writer_started.set()
        writer_thread.finish()
    monkeypatch.undo()
    assert DirtyArea.objects.filter(area=area).exists(), "the committed change has no mark"
    status_recompute_dirty()
    assert statuses_match_a_fresh_recompute()
