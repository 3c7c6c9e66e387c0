"""The lock row (SQLite): tied to its holder's life. A holder whose process is gone stops
blocking at once; a live holder keeps it; a holder on another host keeps it until it expires."""

import datetime
import socket
import subprocess
import sys

import pytest
from django.db import connection
from django.utils import timezone

from evactrack.status.locks import RECOMPUTE_LOCK, process_start_token, single_flight
from evactrack.status.models import RecomputeLock, RecomputeRun
from evactrack.status.services import status_recompute_dirty, status_recompute_full
from tests.factories import AreaFactory

pytestmark = pytest.mark.django_db

LATER = datetime.timedelta(minutes=5)


@pytest.fixture(autouse=True)
def row_lock_only():
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL uses the advisory lock, which dies with its connection")


@pytest.fixture
def live_process():
    """Another process on this host that lives until the test ends."""
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    yield process
    process.stdin.close()
    process.wait(timeout=10)


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait(timeout=10)
    return process.pid


def held_by(pid: int, *, host: str | None = None, start_token: str = "") -> RecomputeLock:
    return RecomputeLock.objects.create(
        name=RECOMPUTE_LOCK,
        holder=f"worker:{pid}",
        host=host or socket.gethostname(),
        pid=pid,
        pid_started=start_token,
        expires_at=timezone.now() + LATER,
    )


def test_the_lock_row_names_its_holder_process():
    with single_flight() as acquired:
        assert acquired
        lock = RecomputeLock.objects.get(name=RECOMPUTE_LOCK)
        assert (lock.host, lock.pid) == (socket.gethostname(), __import__("os").getpid())
        assert lock.pid_started == process_start_token(lock.pid)
    assert not RecomputeLock.objects.exists()


def test_a_lock_whose_holder_process_died_is_taken_at_once():
    AreaFactory()
    held_by(dead_pid())
    report = status_recompute_full()
    assert not report.skipped
    assert not RecomputeLock.objects.exists()


def test_a_live_holder_keeps_its_lock(live_process):
    AreaFactory()
    held_by(live_process.pid, start_token=process_start_token(live_process.pid))
    assert status_recompute_full().skipped
    assert RecomputeLock.objects.get().pid == live_process.pid


def test_a_lock_whose_pid_now_belongs_to_another_process_is_taken(live_process):
    # The holder died and its process id went to a newer process (a restarted container).
    if not process_start_token(live_process.pid):
        pytest.skip("this system does not tell when a process started")
    AreaFactory()
    held_by(live_process.pid, start_token="1")
    assert not status_recompute_full().skipped


def test_a_holder_on_another_host_keeps_its_lock_until_it_expires(live_process):
    AreaFactory()
    held_by(dead_pid(), host="another-host")
    assert status_recompute_full().skipped
    RecomputeLock.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert not status_recompute_full().skipped


def test_a_dirty_run_that_meets_the_lock_is_not_stored(live_process):
    held_by(live_process.pid, start_token=process_start_token(live_process.pid))
    assert status_recompute_dirty().skipped
    assert not RecomputeRun.objects.exists()
