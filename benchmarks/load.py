"""An installation of its own, loaded by concurrent clients: the machinery of `manage.py bench_load`.

`Installation` builds a throwaway installation in a temporary folder (PostgreSQL: a throwaway
database on the server of DATABASE_URL) with the commands an operator runs (`migrate`,
`import_gazetteer`, `seed`, `organization create`, `api_token issue`), then starts the three
processes `./dev run` starts: gunicorn with two workers, a Celery worker and beat.

It lives in the app, not beside the e2e harness under tests/, because the README's commands must
run from a venv with the runtime requirements only: this uses the standard library (subprocess,
http.client) and psycopg, never `requests` or the test tools.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
# Settings of the invoking environment that must not reach the installation: it has its own.
INHERITED_OUT = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EVACTRACK_VAR_DIR", "DJANGO_SETTINGS_MODULE")
# The benchmark measures the server, not its abuse control: far above what 16 clients send.
UNTHROTTLED = "10000000/minute"
STOP_DEADLINE = 30.0
ORGANIZATION = "bench-load"
# Every write cites a source the seeds load (seeds/data/kupiansk.yaml).
SEEDED_SOURCE = "afp-2023-08-kupiansk-evacuation-call"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(predicate, *, what: str, timeout: float, interval: float = 0.2):
    deadline = time.monotonic() + timeout
    while not (result := predicate()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)
    return result


@dataclass
class Installation:
    """Its folder, its database, its processes and a partner's token."""

    database_url: str = ""  # a throwaway PostgreSQL database, or "" for the embedded SQLite
    admin_url: str = ""  # the server's maintenance database, to create and drop it
    redis_url: str = ""  # broker and cache; "" for the embedded folder queue
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="evactrack-bench-")))
    processes: dict[str, subprocess.Popen] = field(default_factory=dict)
    token: str = ""
    base_url: str = ""
    secret_key: str = field(default_factory=lambda: secrets.token_urlsafe(40))

    @classmethod
    def from_environment(cls, environ=os.environ) -> Installation:
        """PostgreSQL when DATABASE_URL points at it (a database `evactrack_bench_<pid>` on that
        server), with REDIS_URL as broker and cache when it is set; else the embedded default."""
        database_url, redis_url = environ.get("DATABASE_URL", ""), environ.get("REDIS_URL", "")
        if not database_url.startswith(("postgres://", "postgresql://", "pgsql://")):
            return cls(redis_url=redis_url)
        parts = urllib.parse.urlsplit(database_url)
        throwaway = parts._replace(scheme="postgresql", path=f"/evactrack_bench_{os.getpid()}").geturl()
        admin = parts._replace(scheme="postgresql", path="/postgres").geturl()
        return cls(database_url=throwaway, admin_url=admin, redis_url=redis_url)

    @property
    def label(self) -> str:
        database = "PostgreSQL" if self.database_url else "SQLite"
        return f"{database} + {'Redis' if self.redis_url else 'folder queue'}"

    def env(self) -> dict:
        env = {key: value for key, value in os.environ.items() if key not in INHERITED_OUT}
        env.update(
            DJANGO_SETTINGS_MODULE="evactrack.settings",
            DJANGO_SECRET_KEY=self.secret_key,
            EVACTRACK_VAR_DIR=str(self.directory / "var"),
            EVACTRACK_API_RATE=UNTHROTTLED,
            EVACTRACK_API_ANON_RATE=UNTHROTTLED,
            PYTHONUNBUFFERED="1",
        )
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        if self.redis_url:
            env.update(REDIS_URL=self.redis_url, CELERY_BROKER_URL=self.redis_url)
        return env

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=self.env(), capture_output=True, text=True
        )
        with (self.directory / "setup.log").open("a") as log:
            log.write(f"$ manage.py {' '.join(args)}\n{result.stdout}{result.stderr}\n")
        if result.returncode:
            raise RuntimeError(f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
        return result.stdout

    def set_up(self, progress=lambda step: None) -> None:
        (self.directory / "var").mkdir(parents=True, exist_ok=True)
        if self.database_url:
            import psycopg

            with psycopg.connect(self.admin_url, autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self._database_name}" WITH (FORCE)')
                connection.execute(f'CREATE DATABASE "{self._database_name}"')
        for step in (("migrate", "--no-input", "-v", "0"), ("import_gazetteer",), ("seed",)):
            progress(step[0])
            self.manage(*step)
        progress("organization and token")
        self.manage("organization", "create", ORGANIZATION, "--name", "Load benchmark", "--kind", "ngo")
        output = self.manage(
            "api_token", "issue", "--user", "bench-load", "--organization", ORGANIZATION, "--role", "partner",
            "--name", "load benchmark",
        )  # fmt: skip
        self.token = output.strip().splitlines()[-1].strip()

    @property
    def _database_name(self) -> str:
        return urllib.parse.urlsplit(self.database_url).path.lstrip("/")

    def _start(self, name: str, command: list) -> None:
        self.processes[name] = subprocess.Popen(
            [str(part) for part in command], cwd=BASE_DIR, env=self.env(), start_new_session=True,
            stdout=(self.directory / f"{name}.log").open("ab"), stderr=subprocess.STDOUT,
        )  # fmt: skip

    def start(self) -> None:
        """gunicorn (two workers), a Celery worker and beat, as `./dev run` starts them."""
        port = free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        self._start("web", [BIN / "gunicorn", "evactrack.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                            "--control-socket", self.directory / "web.ctl"])  # fmt: skip
        self._start("worker", [BIN / "celery", "-A", "evactrack", "worker", "--loglevel", "INFO",
                               "--concurrency", "1", "-n", f"bench-{os.getpid()}@%h"])  # fmt: skip
        self._start("beat", [BIN / "celery", "-A", "evactrack", "beat", "--loglevel", "INFO",
                             "--schedule", self.directory / "celerybeat-schedule", "--pidfile="])  # fmt: skip
        wait_for(self._answers, what="gunicorn to answer /health/", timeout=60)

    def _answers(self) -> bool:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; see {self.directory / name}.log")
        with contextlib.suppress(OSError, http.client.HTTPException):
            connection = http.client.HTTPConnection(self.base_url.removeprefix("http://"), timeout=5)
            connection.request("GET", "/health/")
            return connection.getresponse().status == 200
        return False

    def dead(self) -> list[str]:
        return [f"{name} (exit {p.returncode})" for name, p in self.processes.items() if p.poll() is not None]

    def stop(self) -> None:
        """SIGTERM to each main process (warm shutdowns), SIGKILL to a group still there at the deadline."""
        for process in reversed(self.processes.values()):
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=STOP_DEADLINE)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def tear_down(self) -> None:
        try:
            self.stop()
        finally:
            if self.database_url:
                import psycopg

                with psycopg.connect(self.admin_url, autocommit=True) as connection:
                    connection.execute(f'DROP DATABASE IF EXISTS "{self._database_name}" WITH (FORCE)')

    def verdict(self, *, wait: float) -> dict:
        """The oracle (`manage.py status_verify`) once the system settled, or `wait` s have passed."""
        result = subprocess.run(
            [sys.executable, "manage.py", "status_verify", "--json", "--wait", str(wait)],
            cwd=BASE_DIR, env=self.env(), capture_output=True, text=True,
        )  # fmt: skip
        lines = [line for line in result.stdout.splitlines() if line.startswith("{")]
        if not lines:  # exit 1 with a verdict means "areas differ"; without one, the command failed
            raise RuntimeError(f"status_verify failed ({result.returncode}):\n{result.stderr[-3000:]}")
        return json.loads(lines[-1])


# --- the clients ------------------------------------------------------------------------------------

# What one client does in turn: mostly reads of the partner's hot paths, one write in ten.
MIX = ("areas", "incidents", "status", "areas", "incidents", "status", "areas", "incidents", "status", "write")
# Every fifth write is sent twice with its key: the retry must replay the first answer.
RETRY_EVERY = 5


@dataclass
class Sample:
    kind: str
    seconds: float
    ok: bool
    detail: str = ""


class Clients:
    """`count` threads, each with a keep-alive connection, cycling through MIX for `seconds`."""

    def __init__(self, base_url: str, token: str, *, count: int, seconds: float, areas: list[str], within: str):
        self.host = base_url.removeprefix("http://")
        self.headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        self.count, self.seconds, self.areas, self.within = count, seconds, areas, within
        self.samples: list[Sample] = []
        self.lock = threading.Lock()
        self.elapsed = 0.0

    def _request(self, connection, method: str, path: str, body: bytes | None = None, headers=None):
        connection.request(method, path, body=body, headers={**self.headers, **(headers or {})})
        response = connection.getresponse()
        return response.status, response.getheader("Idempotent-Replayed"), response.read()

    def _loop(self, index: int, deadline: float) -> None:
        connection = http.client.HTTPConnection(self.host, timeout=60)
        n, writes = index, 0
        mine: list[Sample] = []
        while time.monotonic() < deadline:
            kind = MIX[n % len(MIX)]
            area = self.areas[n % len(self.areas)]
            started = time.perf_counter()
            try:
                if kind == "write":
                    ok, detail = self._write(connection, area, retry=writes % RETRY_EVERY == 0)
                    writes += 1
                else:
                    path = {
                        "areas": f"/api/v1/areas/?within={self.within}&limit=50",
                        "incidents": f"/api/v1/incidents/?within={self.within}",
                        "status": f"/api/v1/areas/{area}/status/",
                    }[kind]
                    status, _replayed, body = self._request(connection, "GET", path)
                    ok, detail = status == 200, f"GET {path} → {status}: {body[:200]!r}"
            except (OSError, http.client.HTTPException) as error:
                ok, detail = False, f"{kind}: {error!r}"
                connection.close()
                connection = http.client.HTTPConnection(self.host, timeout=60)
            mine.append(Sample(kind, time.perf_counter() - started, ok, "" if ok else detail))
            n += 1
        connection.close()
        with self.lock:
            self.samples.extend(mine)

    def _write(self, connection, area: str, *, retry: bool) -> tuple[bool, str]:
        key = f"bench-{uuid.uuid4().hex}"
        body = json.dumps({
            "incident_type": "shelling", "occurred_on": time.strftime("%Y-%m-%d"), "area": area, "fatalities": 1,
            "fatalities_qualifier": "exact", "summary": f"Load benchmark write {key}.",
            "citations": [{"source": SEEDED_SOURCE, "locator": "¶1"}],
        }).encode()  # fmt: skip
        headers = {"Content-Type": "application/json", "Idempotency-Key": key}
        status, _replayed, answer = self._request(connection, "POST", "/api/v1/incidents/", body, headers)
        if status != 201:
            return False, f"POST incident → {status}: {answer[:200]!r}"
        if retry:
            again, replayed, repeated = self._request(connection, "POST", "/api/v1/incidents/", body, headers)
            if again != 201 or replayed != "true" or json.loads(repeated)["uid"] != json.loads(answer)["uid"]:
                return False, f"retried POST incident → {again}, replayed {replayed}: {repeated[:200]!r}"
        return True, ""

    def run(self) -> Clients:
        started = time.monotonic()
        deadline = started + self.seconds
        threads = [threading.Thread(target=self._loop, args=(i, deadline), daemon=True) for i in range(self.count)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        self.elapsed = time.monotonic() - started
        return self

    def summary(self) -> dict:
        """Throughput, percentiles (ms) overall and per kind, and the errors."""

        def figures(samples: list[Sample]) -> dict:
            times = sorted(sample.seconds * 1000 for sample in samples)
            if not times:
                return {"requests": 0}
            cuts = statistics.quantiles(times, n=100, method="inclusive") if len(times) > 1 else times * 99
            return {"requests": len(times), "p50": round(cuts[49], 1), "p95": round(cuts[94], 1),
                    "p99": round(cuts[98], 1), "max": round(times[-1], 1)}  # fmt: skip

        errors = [sample for sample in self.samples if not sample.ok]
        return {
            "clients": self.count,
            "seconds": round(self.elapsed, 1),
            "throughput": round(len(self.samples) / self.elapsed, 1) if self.elapsed else 0,
            "all": figures(self.samples),
            "kinds": {kind: figures([s for s in self.samples if s.kind == kind]) for kind in dict.fromkeys(MIX)},
            "errors": len(errors),
            "error_examples": [sample.detail for sample in errors[:5]],
        }


def settlements_under(base_url: str, token: str, oblast: str, limit: int = 50) -> list[str]:
    """Codes of settlements under an oblast (by P-code), read over HTTP as a partner reads them."""
    connection = http.client.HTTPConnection(base_url.removeprefix("http://"), timeout=60)
    headers = {"Authorization": f"Bearer {token}"}
    connection.request("GET", f"/api/v1/areas/?within={oblast}&level=settlement&limit={limit}", headers=headers)
    response = connection.getresponse()
    body = json.loads(response.read())
    if response.status != 200:
        raise RuntimeError(f"listing settlements under {oblast} answered {response.status}: {body}")
    return [row["code"] for row in body["results"]]
