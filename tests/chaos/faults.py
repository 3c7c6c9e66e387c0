"""The chaos suite's tools: faults done to a running installation, the load beside them, the oracle.

Everything works on a `tests.e2e.harness.Stack` from the outside: signals to its processes, its
own Redis server stopped and started again, its database's connections terminated, SQL on its
database (the harness imports no Django, neither does this). Every wait polls with a deadline.
"""

import contextlib
import datetime
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field

import psutil

from tests.e2e.client import Client
from tests.e2e.harness import (
    BIN,
    PYTHON,
    ROOT,
    Process,
    Stack,
    backend_from_environment,
    free_port,
    missing_for_e2e,
    tail,
    wait_for,
)

# After the faults stop, the system has this long to bring every status in line: the sweep
# runs every 30 s (beat), so one missed message costs at most that plus a recompute.
SETTLE_DEADLINE = 75.0
# The table's names, as the models declare them (Django's default app_model).
AREA_STATUS, DIRTY_AREA, RECOMPUTE_RUN, RECOMPUTE_LOCK = (
    "status_areastatus", "reports_dirtyarea", "status_recomputerun", "status_recomputelock",
)  # fmt: skip
# Marks a stored status as out of date without changing what it says: only a run that judges
# every area (the nightly one) rewrites such a row, so the oracle shows whether that run ran.
STALE_DIGEST = "chaos-stale"


def missing_for_chaos() -> str | None:
    missing = missing_for_e2e()
    if missing is None and backend_from_environment().name == "postgres" and not shutil.which("redis-server"):
        return "redis-server is not installed (the PostgreSQL cases stop and restart a Redis of their own)"
    return missing


# --- the database, from outside -------------------------------------------------------------


def sql(stack: Stack, query: str, params: tuple = ()) -> list[tuple]:
    """Run one statement on the installation's database in autocommit; its rows (or [])."""
    if stack.backend.name == "postgres":
        import psycopg

        with psycopg.connect(stack.backend.database_url, autocommit=True) as connection:
            cursor = connection.execute(query, params)
            return cursor.fetchall() if cursor.description else []
    connection = sqlite3.connect(stack.var / "evactrack.sqlite3", timeout=30, isolation_level=None)
    try:
        cursor = connection.execute(query.replace("%s", "?"), params)
        return cursor.fetchall()
    finally:
        connection.close()


def scalar(stack: Stack, query: str, params: tuple = ()):
    return sql(stack, query, params)[0][0]


def dirty_marks(stack: Stack) -> int:
    return scalar(stack, f"SELECT count(*) FROM {DIRTY_AREA}")


def make_statuses_stale(stack: Stack) -> int:
    """Every stored status row out of date (see STALE_DIGEST); how many rows there are."""
    sql(stack, f"UPDATE {AREA_STATUS} SET digest = %s", (STALE_DIGEST,))
    return scalar(stack, f"SELECT count(*) FROM {AREA_STATUS} WHERE digest = %s", (STALE_DIGEST,))


def now_utc() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def full_runs_since(stack: Stack, since: datetime.datetime) -> int:
    """Full recomputes that ran (not skipped) and started at or after `since`."""
    if stack.backend.name == "postgres":
        return scalar(
            stack, f"SELECT count(*) FROM {RECOMPUTE_RUN} WHERE kind = 'full' AND NOT skipped AND started_at >= %s",
            (since,),
        )  # fmt: skip
    # Django stores SQLite datetimes as ISO text in UTC without the offset.
    text = since.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(sep=" ")
    return scalar(
        stack, f"SELECT count(*) FROM {RECOMPUTE_RUN} WHERE kind = 'full' AND NOT skipped AND started_at >= %s",
        (text,),
    )  # fmt: skip


def recompute_runs(stack: Stack) -> int:
    return scalar(stack, f"SELECT count(*) FROM {RECOMPUTE_RUN}")


def skipped_dirty_runs(stack: Stack) -> int:
    return scalar(stack, f"SELECT count(*) FROM {RECOMPUTE_RUN} WHERE kind = 'dirty' AND skipped")


# --- the oracle --------------------------------------------------------------------------------


def verify(stack: Stack, *, wait: float = SETTLE_DEADLINE) -> dict:
    """`manage.py status_verify --wait`: {"differing", "dirty", "areas", "examples", "seconds"}."""
    result = subprocess.run(
        [str(PYTHON), "manage.py", "status_verify", "--json", "--wait", str(wait)],
        cwd=ROOT, env=stack.env(), capture_output=True, text=True, timeout=wait + 120,
    )  # fmt: skip
    lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert lines, f"status_verify printed no verdict ({result.returncode}):\n{result.stderr[-3000:]}"
    return json.loads(lines[-1])


def assert_settled(stack: Stack, *, wait: float = SETTLE_DEADLINE, why: str = "") -> dict:
    """The oracle's verdict: every stored status equals a fresh every-area recompute, no mark left."""
    verdict = verify(stack, wait=wait)
    assert verdict["differing"] == 0 and verdict["dirty"] == 0, (
        f"{why}not settled within {wait:.0f} s: {verdict['differing']} of {verdict['areas']} areas differ from "
        f"a fresh every-area recompute (e.g. {verdict['examples']}), {verdict['dirty']} dirty marks left\n"
        + stack.log_tails(30)
    )
    return verdict


# --- processes -----------------------------------------------------------------------------------


def kill(stack: Stack, process: Process, sig: int = signal.SIGKILL) -> None:
    """Signal the whole process group (SIGKILL: no warm shutdown, no ack, no rollback) and forget it."""
    os.killpg(process.popen.pid, sig)
    process.popen.wait(timeout=30)
    stack.processes.remove(process)


def named(stack: Stack, name: str) -> Process:
    (process,) = [p for p in stack.processes if p.name == name]
    return process


def log_size(process_or_path) -> int:
    path = getattr(process_or_path, "log", process_or_path)
    return path.stat().st_size if path.exists() else 0


def log_since(process: Process, offset: int) -> str:
    return process.log.read_bytes()[offset:].decode(errors="replace")


def celery_call(stack: Stack, task: str, **kwargs) -> None:
    """Enqueue a task as an operator would (`celery call`), through the installation's broker."""
    subprocess.run(
        [str(BIN / "celery"), "-A", "evactrack", "call", task, "--kwargs", json.dumps(kwargs)],
        cwd=ROOT, env=stack.env(), check=True, capture_output=True, timeout=60,
    )  # fmt: skip


def recompute_holder_waiting(stack: Stack) -> bool:
    """PostgreSQL: a session of the installation waits for a row lock (ours, see hold_a_status_row)."""
    return bool(
        scalar(
            stack,
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
        )
    )


class StatusRowHeld:
    """PostgreSQL: one stored status row locked FOR UPDATE by the test, so a run that rewrites every
    row stops at its write, after its reads, holding the recompute lock: mid-recompute for sure."""

    def __init__(self, stack: Stack):
        import psycopg

        self.connection = psycopg.connect(stack.backend.database_url)
        self.connection.execute(f"SELECT area_id FROM {AREA_STATUS} ORDER BY area_id LIMIT 1 FOR UPDATE")

    def release(self) -> None:
        if not self.connection.closed:
            self.connection.rollback()
            self.connection.close()


def start_full_every_area_run(stack: Stack, worker: Process) -> StatusRowHeld | None:
    """Stale statuses, then a full every-area recompute on `worker`; returns once it runs mid-way.

    PostgreSQL: it is held at its first write (StatusRowHeld, release it). SQLite: it holds the
    lock row (the run takes seconds over the whole gazetteer: caught by polling).
    """
    assert make_statuses_stale(stack) > 0, "no stored status to make stale: the seed judged nothing"
    offset = log_size(worker)
    held = StatusRowHeld(stack) if stack.backend.name == "postgres" else None
    celery_call(stack, "status.recompute_full", every_area=True)

    def running():
        if "status.recompute_full" not in log_since(worker, offset):
            return False
        if held is not None:
            return recompute_holder_waiting(stack)
        return scalar(stack, f"SELECT count(*) FROM {RECOMPUTE_LOCK}") > 0

    wait_for(running, what=f"the full recompute to run on {worker.name}", timeout=60, interval=0.02)
    return held


def full_run_succeeded(worker: Process, offset: int) -> bool:
    """The worker's log, from `offset` on, says a full recompute succeeded."""
    return any(
        "status.recompute_full" in line and " succeeded in " in line for line in log_since(worker, offset).splitlines()
    )


# --- Redis of our own -------------------------------------------------------------------------------


@dataclass
class RedisServer:
    """A redis-server on a free port, without persistence: a restart starts empty, queues included."""

    stack: Stack
    port: int = field(default_factory=free_port)
    process: Process | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = self.stack.start(
            "redis", ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
                      "no", "--daemonize", "no"],
        )  # fmt: skip
        wait_for(self.answers, what=f"redis-server on port {self.port}", timeout=20)

    def answers(self) -> bool:
        import redis

        try:
            return redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
        except redis.RedisError:
            return False

    def stop(self, sig: int = signal.SIGTERM) -> None:
        kill(self.stack, self.process, sig)
        self.process = None

    def queued(self) -> int:
        import redis

        return redis.Redis.from_url(self.url).llen("celery")


# --- load -------------------------------------------------------------------------------------------


@dataclass
class Answer:
    kind: str  # "write" or "read"
    status: int | None  # None: no HTTP answer (connection refused or reset)
    key: str = ""
    uid: str = ""
    area: str = ""
    error: str = ""


class Load:
    """Writers and readers against the web server, for at most `seconds` and `max_requests`.

    Each write is an incident with an Idempotency-Key of its own, named in its summary, on one of
    `areas`; reads cycle through areas, incidents under an oblast and area statuses. `rate`
    (writes per second, all writers together) paces the writers; None means as fast as they go.
    """

    def __init__(self, stack: Stack, token: str, areas: list[str], *, writers=2, readers=2, seconds=20.0,
                 max_requests=5000, rate: float | None = None, within: str = "UA63"):  # fmt: skip
        self.stack, self.token, self.areas = stack, token, areas
        self.writers, self.readers, self.seconds, self.max_requests = writers, readers, seconds, max_requests
        self.rate, self.within = rate, within
        self.answers: list[Answer] = []
        self.lock = threading.Lock()
        self.stopped = threading.Event()
        self.threads: list[threading.Thread] = []

    def _room(self) -> bool:
        return not self.stopped.is_set() and len(self.answers) < self.max_requests

    def _write_loop(self, index: int) -> None:
        client = Client(self.stack.base_url, self.token)
        interval = self.writers / self.rate if self.rate else 0
        next_at, n = time.monotonic(), 0
        while self._room():
            key = f"chaos-{uuid.uuid4().hex}"
            area = self.areas[(index + n * self.writers) % len(self.areas)]
            yesterday = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
            body = {
                "incident_type": "shelling", "occurred_on": yesterday,
                "area": area, "fatalities": 1, "fatalities_qualifier": "exact", "summary": f"Chaos write {key}.",
                "citations": [{"source": "afp-2023-08-kupiansk-evacuation-call", "locator": "¶1"}],
            }  # fmt: skip
            answer = Answer("write", None, key=key, area=area)
            try:
                response = client.post("/api/v1/incidents/", body, headers={"Idempotency-Key": key})
                answer.status = response.status_code
                if response.status_code == 201:
                    answer.uid = response.json()["uid"]
                else:
                    answer.error = response.text[:300]
            except Exception as error:  # noqa: BLE001 - a refused or reset connection is an answer too
                answer.error = repr(error)
            with self.lock:
                self.answers.append(answer)
            n += 1
            if interval:
                next_at += interval
                self.stopped.wait(max(0.0, next_at - time.monotonic()))

    def _read_loop(self, index: int) -> None:
        client = Client(self.stack.base_url, self.token)
        paths = [f"/api/v1/areas/?within={self.within}&limit=50", f"/api/v1/incidents/?within={self.within}"]
        n = index
        while self._room():
            area = self.areas[n % len(self.areas)]
            path = [*paths, f"/api/v1/areas/{area}/status/"][n % 3]
            answer = Answer("read", None, area=area)
            try:
                response = client.get(path)
                answer.status = response.status_code
                if response.status_code != 200:
                    answer.error = f"{path}: {response.text[:300]}"
            except Exception as error:  # noqa: BLE001 - a refused or reset connection is an answer too
                answer.error = f"{path}: {error!r}"
            with self.lock:
                self.answers.append(answer)
            n += 1

    def start(self) -> "Load":
        loops = [(self._write_loop, i) for i in range(self.writers)]
        loops += [(self._read_loop, i) for i in range(self.readers)]
        self.threads = [threading.Thread(target=loop, args=(i,), daemon=True) for loop, i in loops]
        for thread in self.threads:
            thread.start()
        self.deadline = time.monotonic() + self.seconds
        return self

    def wait(self) -> "Load":
        """Until the time is up (or the request budget spent), then stop every thread."""
        while time.monotonic() < self.deadline and self._room():
            self.stopped.wait(0.2)
        self.stopped.set()
        for thread in self.threads:
            thread.join(timeout=90)
        return self

    def failures(self) -> list[Answer]:
        return [a for a in self.answers if a.status is None or not 200 <= a.status < 300]

    def written(self) -> list[Answer]:
        return [a for a in self.answers if a.kind == "write" and a.status == 201]


def assert_all_2xx(load: Load) -> None:
    failures = load.failures()
    shown = "\n".join(f"{a.kind} {a.area} → {a.status}: {a.error}" for a in failures[:10])
    assert not failures, f"{len(failures)} of {len(load.answers)} requests were not 2xx:\n{shown}"


def assert_writes_kept(stack: Stack, token: str, load: Load) -> None:
    """No write that got a 2xx is lost, and each Idempotency-Key made exactly one row."""
    client = Client(stack.base_url, token)
    by_area: dict[str, list[Answer]] = {}
    for answer in load.answers:
        if answer.kind == "write":
            by_area.setdefault(answer.area, []).append(answer)
    for area, answers in by_area.items():
        rows = client.all_pages("/api/v1/incidents/", params={"area": area, "limit": 500})
        uids = {row["uid"] for row in rows}
        lost = [a.uid for a in answers if a.status == 201 and a.uid not in uids]
        assert not lost, f"{len(lost)} writes answered 201 on {area} are not stored: {lost[:5]}"
        per_key: dict[str, int] = {}
        for row in rows:
            summary = row.get("summary", "")
            if summary.startswith("Chaos write "):
                key = summary.removeprefix("Chaos write ").rstrip(".")
                per_key[key] = per_key.get(key, 0) + 1
        doubled = {key: n for key, n in per_key.items() if n != 1}
        assert not doubled, f"Idempotency-Keys with more than one row on {area}: {doubled}"


def web_backends(stack: Stack, *, in_transaction: bool = False) -> list[int]:
    """PostgreSQL pids of the sessions the web server's workers hold (matched by their client ports);
    with `in_transaction`, only those inside a transaction (a write under way)."""
    web = named(stack, "web")
    ports = set()
    for child in psutil.Process(web.popen.pid).children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):  # a worker being replaced
            ports |= {c.laddr.port for c in child.net_connections(kind="tcp") if c.raddr and c.raddr.port == 5432}
    if not ports:
        return []
    query = (
        "SELECT pid, client_port FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
    )
    rows = sql(stack, query + (" AND xact_start IS NOT NULL" if in_transaction else ""))
    return [pid for pid, port in rows if port in ports]


def terminate(stack: Stack, pids: list[int]) -> int:
    return sum(bool(scalar(stack, "SELECT pg_terminate_backend(%s)", (pid,))) for pid in pids)


def describe_logs(stack: Stack, *names: str) -> str:
    return "\n".join(tail(named(stack, name).log) for name in names if any(p.name == name for p in stack.processes))


def repair(stack: Stack) -> None:
    """After a failed case: what it left behind (a dead holder's lock row, a backlog of messages,
    stale statuses) is cleared and every status recomputed, so the next case starts from a
    settled system and fails, if it does, for a reason of its own."""
    if stack.backend.name == "sqlite":
        sql(stack, f"DELETE FROM {RECOMPUTE_LOCK}")
        for message in (stack.var / "celery-queue").glob("*"):
            message.unlink(missing_ok=True)
    stack.manage("recompute_status", "--every-area", log="repair")
    stack.manage("recompute_status", "--dirty", log="repair")


def queued_messages(stack: Stack) -> int:
    """Messages waiting in the embedded folder queue."""
    return sum(1 for _ in (stack.var / "celery-queue").glob("*"))
