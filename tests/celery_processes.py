"""Real Celery processes for tests: `celery -A evactrack worker|beat` against the test database.

Used by the worker suite (tests/status/test_worker.py) and by the browser suite when PostgreSQL
and Redis are there. Every wait polls a condition with a deadline; nothing sleeps to dodge a race.
"""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from celery import current_app
from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
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
