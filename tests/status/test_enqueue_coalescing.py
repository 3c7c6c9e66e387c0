"""Writes enqueue at most one pending recompute of the dirty areas, and never leave a change without one.

The broker edge (`send_task`) is replaced by a counter; everything else is the real code.
"""

import threading

import pytest
from celery import current_app
from django.db import transaction
from django.db.models import F

from evactrack.status import services as status_services
from evactrack.status.services import status_recompute_dirty
from evactrack.status.tasks import serve_what_a_dead_worker_left
from reports.models import DirtyArea, DirtyRecomputeRequest
from reports.services import DIRTY_REQUEST_STALE, RECOMPUTE_DIRTY_TASK
from tests.factories import AreaFactory, IncidentFactory, SourceFactory
from tests.status.test_dirty_marks import Thread, backends_waiting_on_a_lock, wait_for_event, wait_until


class Broker:
    """Counts the recompute messages sent; `down` makes sending fail as an unreachable broker does."""

    def __init__(self):
        self.sent, self.down, self.lock = 0, False, threading.Lock()

    def send_task(self, name, *args, **kwargs):
        assert name == RECOMPUTE_DIRTY_TASK
        if self.down:
            raise ConnectionError("broker unreachable")
        with self.lock:
            self.sent += 1


@pytest.fixture
def broker(monkeypatch):
    fake = Broker()
    monkeypatch.setattr(current_app, "send_task", fake.send_task)
    return fake


@pytest.fixture
def source():
    return SourceFactory()


@pytest.mark.django_db(transaction=True)
def test_writes_while_a_recompute_is_queued_enqueue_nothing_more(broker, source):
    marked, fresh = AreaFactory(), AreaFactory()
    IncidentFactory(area=marked, source=source)
    assert broker.sent == 1
    IncidentFactory(area=marked, source=source)  # its area is marked, its recompute queued
    IncidentFactory(area=fresh, source=source)  # a new mark, served by the same queued recompute
    assert broker.sent == 1
    status_recompute_dirty()
    assert not DirtyArea.objects.exists()
    IncidentFactory(area=marked, source=source)  # the queued recompute has run: ask again
    assert broker.sent == 2


@pytest.mark.django_db(transaction=True)
def test_many_writes_in_one_transaction_enqueue_one_message(broker, source):
    with transaction.atomic():
        for _n in range(3):
            IncidentFactory(area=AreaFactory(), source=source)
    assert broker.sent == 1


@pytest.mark.django_db(transaction=True)
def test_a_failed_send_lets_the_next_write_ask_again(broker, source):
    area = AreaFactory()
    broker.down = True
    IncidentFactory(area=area, source=source)  # the write stands; its mark waits
    broker.down = False
    IncidentFactory(area=area, source=source)
    assert broker.sent == 1


@pytest.mark.django_db(transaction=True)
def test_a_skipped_recompute_lets_the_next_write_ask_again(broker, source, monkeypatch):
    """A recompute that met the lock served nothing: the writes after it must not count on it."""
    area = AreaFactory()
    IncidentFactory(area=area, source=source)
    with monkeypatch.context() as patch:
        patch.setattr(status_services, "single_flight", _lock_held_elsewhere)
        assert status_recompute_dirty().skipped
    IncidentFactory(area=area, source=source)
    assert broker.sent == 2


@pytest.mark.django_db(transaction=True)
def test_a_request_no_recompute_took_in_time_is_sent_again(broker, source):
    """Its message died with a worker (or a broker restarted empty): the next write sends anew."""
    area = AreaFactory()
    IncidentFactory(area=area, source=source)
    IncidentFactory(area=area, source=source)
    assert broker.sent == 1
    DirtyRecomputeRequest.objects.update(requested_at=F("requested_at") - DIRTY_REQUEST_STALE)
    IncidentFactory(area=area, source=source)
    assert broker.sent == 2
    IncidentFactory(area=area, source=source)  # the new request is fresh
    assert broker.sent == 2


@pytest.mark.django_db(transaction=True)
def test_a_starting_worker_serves_marks_a_dead_one_left(broker, source):
    """Marks and no message any queue would deliver again: what a worker killed mid-run leaves."""
    serve_what_a_dead_worker_left()
    assert broker.sent == 0  # nothing left: a worker start sends nothing
    broker.down = True
    IncidentFactory(area=AreaFactory(), source=source)
    broker.down = False
    serve_what_a_dead_worker_left()
    assert broker.sent == 1


class _lock_held_elsewhere:
    def __init__(self, *args, **kwargs):
        pass

    def __enter__(self):
        return False

    def __exit__(self, *exc):
        return False


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_committed_while_a_recompute_runs_asks_for_another(broker, source, monkeypatch):
    """The recompute read the marks before the change committed: the change enqueues the next run."""
    area = AreaFactory()
    IncidentFactory(area=area, source=source)
    assert broker.sent == 1
    claimed, writer_started = threading.Event(), threading.Event()
    evaluate = status_services.load_and_evaluate

    def evaluate_while_the_writer_waits(**kwargs):
        computation = evaluate(**kwargs)
        claimed.set()
        wait_for_event(writer_started, "the writer")
        wait_until(lambda: backends_waiting_on_a_lock() == 1, what="the writer to wait for the claimed mark")
        return computation

    def writer():
        wait_for_event(claimed, "the claim")
        writer_started.set()
        IncidentFactory(area=area, source=source)

    monkeypatch.setattr(status_services, "load_and_evaluate", evaluate_while_the_writer_waits)
    recompute_thread, writer_thread = Thread(status_recompute_dirty), Thread(writer)
    recompute_thread.start()
    writer_thread.start()
    try:
        recompute_thread.finish()
    finally:
        claimed.set(), writer_started.set()
        writer_thread.finish()
    assert DirtyArea.objects.filter(area=area).exists()
    assert broker.sent == 2, "the change committed after the claim enqueued no recompute"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_change_whose_mark_the_recompute_skipped_asks_for_another(broker, source):
    """The writer holds its area's mark while the recompute runs, which skips it: the writer enqueues the next run."""
    area = AreaFactory()
    IncidentFactory(area=area, source=source)
    marked, recomputed = threading.Event(), threading.Event()

    def writer():
        with transaction.atomic():
            IncidentFactory(area=area, source=source)
            marked.set()
            wait_for_event(recomputed, "the recompute")

    thread = Thread(writer)
    thread.start()
    wait_for_event(marked, "the writer's mark")
    try:
        status_recompute_dirty()
    finally:
        recomputed.set()
        thread.finish()
    assert DirtyArea.objects.filter(area=area).exists()
    assert broker.sent == 2, "the change whose mark was skipped enqueued no recompute"
