"""Real Celery workers (subprocesses) against the test database and a real Redis broker.

Run when REDIS_URL and a PostgreSQL DATABASE_URL are set (marker `worker`). Every wait polls a
condition with a deadline; nothing sleeps to dodge a race.
"""

import datetime
import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
import redis
from celery import current_app
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from evactrack.status.models import AreaStatus, FullRunRequest, RecomputeRun, StatusChange
from evactrack.status.services import status_recompute_full
from reports.models import DirtyArea, Incident
from tests.celery_processes import VISIBILITY_TIMEOUT, wait_for
from tests.factories import AreaFactory, DesignationFactory, IncidentFactory, OrderFactory, SourceFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

YESTERDAY = timezone.localdate() - datetime.timedelta(days=1)


@contextmanager
def producer_broker(url: str):
    """Send this process's messages to another broker (Celery caches its connection pools)."""
    app = current_app
    previous = app.conf.broker_url

    def switch(to):
        app.conf.broker_url = to
        app._pool = None
        app.amqp._producer_pool = None

    switch(url)
    try:
        yield
    finally:
        switch(previous)


@contextmanager
def status_table_blocked():
    """Hold a lock that stops any write to the status table: a recompute that reaches its
    write waits there, 'in the middle', with its single-flight lock taken."""
    db = connection.settings_dict
    blocker = psycopg.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None, host=db["HOST"], port=db["PORT"] or 5432
    )
    blocker.execute(f"LOCK TABLE {AreaStatus._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
    try:
        yield
    finally:
        blocker.rollback()
        blocker.close()


def backends_waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def advisory_locks_held() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        return cursor.fetchone()[0]


def statuses():
    return dict(AreaStatus.objects.values_list("area_id", "digest"))


def some_areas_with_inputs():
    source = SourceFactory()
    areas = [AreaFactory() for _ in range(6)]
    for index, area in enumerate(areas):
        for _ in range(index):
            IncidentFactory(area=area, occurred_on=YESTERDAY, source=source)
    OrderFactory(area=areas[1], effective_from=YESTERDAY, source=source)
    DesignationFactory(area=areas[2], kind="occupied", valid_from=YESTERDAY, source=source)
    return areas


def test_an_incident_written_through_the_service_is_picked_up_by_a_real_worker(processes, clean_broker):
    area = AreaFactory()
    processes("worker")
    IncidentFactory(area=area, occurred_on=YESTERDAY)  # commits; the service enqueues on commit
    status = wait_for(
        lambda: AreaStatus.objects.filter(area=area, level="advisory").first(), what="the worker's recompute"
    )
    assert "1 reported incident in 14 days" in status.sentence
    assert not DirtyArea.objects.exists()
    assert StatusChange.objects.filter(area=area, level="advisory").count() == 1


def test_a_worker_killed_mid_recompute_then_restarted_ends_like_an_undisturbed_run(processes, clean_broker):
    some_areas_with_inputs()
    status_recompute_full()  # the undisturbed run, in this process
    expected = statuses()
    assert len(expected) > 6
    AreaStatus.objects.all().delete()
    StatusChange.objects.all().delete()
    RecomputeRun.objects.all().delete()
    # The writes' marks and the messages they enqueued: only the full recompute matters here (a
    # starting worker would otherwise recompute the marked areas itself).
    DirtyArea.objects.all().delete()
    clean_broker.flushdb()

    with status_table_blocked():
        doomed = processes("worker", name="doomed")
        current_app.send_task("status.recompute_full")
        wait_for(backends_waiting_on_a_lock, what="the recompute to reach its write")
        doomed.kill()
    assert statuses() == {}  # the killed transaction left nothing behind
    wait_for(lambda: advisory_locks_held() == 0, what="PostgreSQL to release the dead worker's lock")
    # Late ack: the message is still in the broker's unacknowledged set, redelivered once it is
    # older than the visibility timeout to whichever worker looks next.
    wait_for(
        lambda: clean_broker.zrangebyscore("unacked_index", 0, time.time() - VISIBILITY_TIMEOUT - 0.5),
        what="the unacknowledged message to pass the visibility timeout",
    )
    processes("worker", name="restarted")
    wait_for(lambda: RecomputeRun.objects.filter(kind="full", skipped=False).exists(), what="the redelivered recompute")
    assert statuses() == expected


def test_of_two_concurrent_full_recomputes_one_is_put_off_and_served_by_the_other(processes, clean_broker):
    some_areas_with_inputs()
    DirtyArea.objects.all().delete()  # as above: the full runs alone
    clean_broker.flushdb()
    processes("worker", name="first")
    processes("worker", name="second")
    with status_table_blocked():
        current_app.send_task("status.recompute_full")
        wait_for(backends_waiting_on_a_lock, what="one recompute to hold the lock and wait on its write")
        current_app.send_task("status.recompute_full")
        wait_for(lambda: RecomputeRun.objects.filter(kind="full", skipped=True).exists(), what="the skipped run")
    # The holder serves the run put off before it lets go.
    wait_for(lambda: not FullRunRequest.objects.exists(), what="the holder to serve the request")
    assert list(RecomputeRun.objects.filter(kind="full").order_by("skipped").values_list("skipped", flat=True)) == [
        False,
        False,
        True,
    ]
    assert AreaStatus.objects.exists()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RedisServer:
    """A redis-server of our own on a free port, so stopping it never touches the machine's Redis."""

    def __init__(self, directory: Path):
        self.port, self.directory, self.process = _free_port(), directory, None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            cwd=self.directory,
            stdout=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_for(self._answers, what="redis-server to answer", timeout=20)

    def _answers(self) -> bool:
        try:
            return redis.Redis(port=self.port, socket_connect_timeout=0.2).ping()
        except redis.ConnectionError:
            return False

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)


@pytest.fixture
def own_redis(tmp_path):
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed")
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def test_with_the_broker_down_writes_succeed_and_the_sweep_catches_up(processes, own_redis):
    area = AreaFactory()
    sweep_every_second, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    PeriodicTask.objects.create(name="sweep", task="status.recompute_dirty", interval=sweep_every_second)
    with producer_broker(own_redis.url):
        processes("worker", broker=own_redis.url)
        processes("beat", broker=own_redis.url)
        own_redis.stop()

        started = time.monotonic()
        incident = IncidentFactory(area=area, occurred_on=YESTERDAY)
        assert time.monotonic() - started < 15, "a write must not hang on a dead broker"
        assert Incident.objects.filter(pk=incident.pk).exists()
        assert DirtyArea.objects.filter(area=area).exists()  # the change waits in the database
        assert not AreaStatus.objects.filter(area=area).exists()

        own_redis.start()  # same port: worker and beat reconnect, the sweep finds the dirty area
        wait_for(
            lambda: AreaStatus.objects.filter(area=area, level="advisory").exists(),
            what="the sweep to catch up",
            timeout=120,
        )
    assert not DirtyArea.objects.filter(area=area).exists()
