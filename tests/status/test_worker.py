"""Real Celery workers (subprocesses) against the test database and a real Redis broker.

Run when REDIS_URL and a PostgreSQL DATABASE_URL are set (marker `worker`). Every wait polls a
condition with a deadline; nothing sleeps to dodge a race.
"""

import datetime
import os
import shutil
import signal
import socket
import subprocess
import sys
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

from evactrack.status.models import AreaStatus, RecomputeRun, StatusChange
from evactrack.status.services import status_recompute_full
from reports.models import DirtyArea, Incident
from tests.factories import AreaFactory, DesignationFactory, IncidentFactory, OrderFactory, SourceFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
YESTERDAY = timezone.localdate() - datetime.timedelta(days=1)
# The broker redelivers an unacknowledged message this many seconds after its worker died.
VISIBILITY_TIMEOUT = 2


def wait_for(predicate, *, what, timeout=60.0):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.1)


def database_url() -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


class CeleryProcess:
    """`celery -A evactrack worker|beat` in its own process group, logging to a file."""

    def __init__(self, kind: str, *, broker: str, directory: Path, name: str):
        self.kind, self.broker, self.directory, self.name = kind, broker, directory, name
        self.log_path = directory / f"{name}.log"
        self.process = None

    def start(self):
        env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "DATABASE_CONN_MAX_AGE": "0",
            "REDIS_URL": self.broker,
            "CELERY_BROKER_URL": self.broker,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "CELERY_UNACKED_RESTORE_INTERVAL": "1",
            "CELERY_UNACKED_RESTORE_THROTTLE": "1",
            "EVACTRACK_VAR_DIR": str(self.directory / "var"),
            "DJANGO_SECRET_KEY": "test-only-secret-key",
        }
        if self.kind == "worker":
            arguments = ["worker", "--pool=solo", "-n", f"{self.name}@%h", "--without-gossip", "--without-mingle"]
        else:
            arguments = ["beat", "-s", str(self.directory / "beat-schedule"), "--pidfile="]
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "evactrack", *arguments, "--loglevel=INFO"],
            cwd=ROOT,
            env=env,
            stdout=self.log_path.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        if self.kind == "worker":
            wait_for(lambda: " ready." in self.log() or self.process.poll() is not None, what=f"{self.name} ready")
            assert self.process.poll() is None, self.log()
        return self

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def kill(self):
        """SIGKILL the whole process group: no warm shutdown, no ack, no rollback by Python."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.kill()


@pytest.fixture
def processes(transactional_db, tmp_path):
    """Start Celery processes with `processes(kind, broker=…)`; all are stopped at the end."""
    started = []

    def start(kind="worker", *, broker=None, name=None):
        process = CeleryProcess(
            kind, broker=broker or broker_url(), directory=tmp_path, name=name or f"{kind}{len(started)}"
        )
        started.append(process)
        return process.start()

    yield start
    for process in started:
        process.stop()


def broker_url() -> str:
    return current_app.conf.broker_url


@pytest.fixture
def clean_broker():
    """Our Redis database (REDIS_URL, ours alone) starts empty: no message from earlier runs."""
    client = redis.Redis.from_url(broker_url())
    client.flushdb()
    return client


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
    clean_broker.flushdb()  # the messages the writes enqueued: only the full recompute matters here

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


def test_two_concurrent_full_recomputes_one_runs_one_is_skipped(processes, clean_broker):
    some_areas_with_inputs()
    clean_broker.flushdb()
    processes("worker", name="first")
    processes("worker", name="second")
    with status_table_blocked():
        current_app.send_task("status.recompute_full")
        wait_for(backends_waiting_on_a_lock, what="one recompute to hold the lock and wait on its write")
        current_app.send_task("status.recompute_full")
        wait_for(lambda: RecomputeRun.objects.filter(kind="full", skipped=True).exists(), what="the skipped run")
    wait_for(lambda: RecomputeRun.objects.filter(kind="full", skipped=False).exists(), what="the run to finish")
    assert list(RecomputeRun.objects.filter(kind="full").order_by("skipped").values_list("skipped", flat=True)) == [
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
