"""A whole evactrack installation in a temporary folder, started as an operator would start it.

`Stack` runs the management commands (`migrate`, `import_gazetteer`, `seed`, `organization create`,
`api_token issue`) as subprocesses, then gunicorn with two workers, a Celery worker and Celery beat,
each in its own process group and logging to a file of its own. Tests talk to it over HTTP only.

Two backends, chosen from the test run's environment:

- PostgreSQL + Redis when DATABASE_URL points at PostgreSQL and REDIS_URL is set: a throwaway
  database `evactrack_e2e_<pid>` on that server (created here, dropped at the end) and the Redis
  database of REDIS_URL (12 when the URL names none), emptied first;
- SQLite + the filesystem broker otherwise, the embedded default: the children get no
  DATABASE_URL, REDIS_URL or CELERY_BROKER_URL at all.

Nothing here imports Django: the processes under test are the only ones that read settings.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
PYTHON = BIN / "python"
SECRET_KEY = "e2e-only-secret-key-not-for-production"
# Variables of the test run that must not leak into the installation under test: the test
# run's broker (tests/testenv.py sets memory://) and database belong to the in-process suites.
INHERITED_OUT = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "EVACTRACK_VAR_DIR", "DJANGO_SETTINGS_MODULE")
DEFAULT_REDIS_DB = 12
# A stopped process gets this long after SIGTERM before its group is killed.
STOP_DEADLINE = 20.0
# Abuse control stays on, but far above what a test run sends; the throttling test starts a
# web server of its own with a low rate.
TEST_API_RATE = "100000/minute"


def wait_for(predicate, *, what: str, timeout: float = 60.0, interval: float = 0.1):
    """Poll `predicate` until it returns something true; fail naming `what` after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(interval)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return f"({path.name}: no log)"
    text = path.read_text(errors="replace").splitlines()[-lines:]
    return f"--- last {len(text)} lines of {path} ---\n" + "\n".join(text)


@dataclass
class Backend:
    """Where the installation keeps its data and queues."""

    name: str  # "postgres" or "sqlite"
    database_url: str = ""  # the throwaway database (PostgreSQL only)
    admin_url: str = ""  # the server's maintenance database, to create and drop it
    redis_url: str = ""

    @property
    def label(self) -> str:
        return "PostgreSQL + Redis" if self.name == "postgres" else "SQLite + filesystem broker"

    def env(self) -> dict:
        if self.name == "sqlite":
            return {}
        return {"DATABASE_URL": self.database_url, "REDIS_URL": self.redis_url, "CELERY_BROKER_URL": self.redis_url}


def backend_from_environment(environ=os.environ) -> Backend:
    database_url, redis_url = environ.get("DATABASE_URL", ""), environ.get("REDIS_URL", "")
    if not (database_url.startswith(("postgres://", "postgresql://", "pgsql://")) and redis_url):
        return Backend("sqlite")
    parts = urllib.parse.urlsplit(database_url)
    throwaway = parts._replace(scheme="postgresql", path=f"/evactrack_e2e_{os.getpid()}").geturl()
    admin = parts._replace(scheme="postgresql", path="/postgres").geturl()
    redis_parts = urllib.parse.urlsplit(redis_url)
    if not redis_parts.path.strip("/"):
        redis_url = redis_parts._replace(path=f"/{DEFAULT_REDIS_DB}").geturl()
    return Backend("postgres", database_url=throwaway, admin_url=admin, redis_url=redis_url)


def missing_for_e2e(environ=os.environ) -> str | None:
    """Why the black-box suite cannot run here, or None."""
    for program in ("gunicorn", "celery"):
        if not (BIN / program).exists():
            return f"{BIN / program} is not installed"
    backend = backend_from_environment(environ)
    if backend.name == "postgres":
        import redis

        try:
            redis.Redis.from_url(backend.redis_url, socket_connect_timeout=1).ping()
        except Exception as error:  # noqa: BLE001 - any failure means "not available"
            return f"Redis at {backend.redis_url} does not answer ({error.__class__.__name__})"
    return None


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        """SIGTERM to the main process (gunicorn and Celery then shut down warm, their children
        included), SIGKILL to the whole group if it is not gone by the deadline."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=STOP_DEADLINE)
        with contextlib.suppress(ProcessLookupError):  # leftovers of the group, if any
            os.killpg(self.popen.pid, signal.SIGKILL)
        self.popen.wait(timeout=10)


@dataclass
class Stack:
    """One installation: its folder, its data, its processes, its tokens."""

    backend: Backend
    directory: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="evactrack-e2e-")))
    processes: list[Process] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    base_url: str = ""

    @property
    def var(self) -> Path:
        return self.directory / "var"

    def env(self, **extra) -> dict:
        env = {key: value for key, value in os.environ.items() if key not in INHERITED_OUT}
        env.update(
            DJANGO_SETTINGS_MODULE="evactrack.settings",
            DJANGO_SECRET_KEY=SECRET_KEY,
            EVACTRACK_VAR_DIR=str(self.var),
            EVACTRACK_API_RATE=TEST_API_RATE,
            EVACTRACK_API_ANON_RATE=TEST_API_RATE,
            PYTHONUNBUFFERED="1",
            **self.backend.env(),
        )
        env.update(extra)
        return env

    # --- setup -----------------------------------------------------------------------------

    def manage(self, *args: str, log: str = "setup") -> str:
        """Run a management command; its output goes to the setup log and is returned."""
        result = subprocess.run(
            [str(PYTHON), "manage.py", *args], cwd=ROOT, env=self.env(), capture_output=True, text=True, timeout=300
        )
        with (self.directory / f"{log}.log").open("a") as out:
            out.write(f"$ manage.py {' '.join(args)}\n{result.stdout}{result.stderr}\n")
        if result.returncode:
            raise AssertionError(f"manage.py {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
        return result.stdout

    def create_database(self) -> None:
        if self.backend.name != "postgres":
            return
        import psycopg

        name = urllib.parse.urlsplit(self.backend.database_url).path.lstrip("/")
        with psycopg.connect(self.backend.admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        import redis

        redis.Redis.from_url(self.backend.redis_url).flushdb()

    def drop_database(self) -> None:
        if self.backend.name != "postgres":
            return
        import psycopg

        name = urllib.parse.urlsplit(self.backend.database_url).path.lstrip("/")
        with psycopg.connect(self.backend.admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def create_organization(self, slug: str, name: str) -> None:
        self.manage("organization", "create", slug, "--name", name, "--kind", "ngo")

    def issue_token(self, *, user: str, organization: str, role: str) -> str:
        output = self.manage(
            "api_token", "issue", "--user", user, "--organization", organization, "--role", role,
            "--name", f"e2e client of {user}",
        )  # fmt: skip
        key = output.strip().splitlines()[-1].strip()
        assert key.startswith("evt_"), f"api_token issue printed no key:\n{output}"
        return key

    def timed(self, what: str, step, *args, **kwargs):
        started = time.monotonic()
        result = step(*args, **kwargs)
        self.timings[what] = time.monotonic() - started
        return result

    def set_up(self, *, organizations: dict[str, str], callers: dict[str, tuple[str, str]]) -> None:
        """`organizations`: slug → name; `callers`: name → (organization slug, role)."""
        self.var.mkdir(parents=True, exist_ok=True)
        self.timed("database", self.create_database)
        self.timed("migrate", self.manage, "migrate", "--no-input", "-v", "0")
        self.timed("import_gazetteer", self.manage, "import_gazetteer")
        self.timed("seed", self.manage, "seed")

        def people():
            # Each command is a Python start-up and a Django setup: run them side by side.
            with ThreadPoolExecutor(max_workers=4) as pool:
                list(pool.map(lambda item: self.create_organization(*item), organizations.items()))
                keys = pool.map(
                    lambda item: self.issue_token(user=f"e2e-{item[0]}", organization=item[1][0], role=item[1][1]),
                    callers.items(),
                )
                self.tokens.update(zip(callers, keys, strict=True))

        self.timed("organizations and tokens", people)

    # --- processes ---------------------------------------------------------------------------

    def start(self, name: str, command: list, **extra_env) -> Process:
        log = self.directory / f"{name}.log"
        popen = subprocess.Popen(
            [str(part) for part in command],
            cwd=ROOT,
            env=self.env(**extra_env),
            stdout=log.open("ab"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process = Process(name, popen, log)
        self.processes.append(process)
        return process

    def start_web(self, name: str = "web", **extra_env) -> str:
        """gunicorn with two workers on a free port; returns its base URL once /health/ answers."""
        port = free_port()
        process = self.start(
            name,
            [
                BIN / "gunicorn", "evactrack.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2",
                "--access-logfile", self.directory / f"{name}-access.log",
                # One control socket per instance, not one per machine in the home folder.
                "--control-socket", self.directory / f"{name}.ctl",
            ],
            **extra_env,
        )  # fmt: skip
        base_url = f"http://127.0.0.1:{port}"

        def healthy():
            if not process.alive():
                raise AssertionError(f"{name} exited with {process.popen.returncode}\n{tail(process.log)}")
            try:
                return requests.get(f"{base_url}/health/", timeout=10).status_code == 200
            except requests.RequestException:  # not listening yet, or still loading the app
                return False

        wait_for(healthy, what=f"{name} to answer /health/", timeout=60)
        return base_url

    def start_worker(self, name: str = "worker", **extra_env) -> Process:
        """A Celery worker; more than one (or a restarted one) each under a name of its own."""
        log = self.directory / f"{name}.log"
        earlier = log.stat().st_size if log.exists() else 0  # a restarted worker appends to its log
        worker = self.start(
            name,
            [BIN / "celery", "-A", "evactrack", "worker", "--loglevel", "INFO", "--concurrency", "1",
             "-n", f"e2e-{os.getpid()}-{name}@%h", "--without-gossip", "--without-mingle"],
            **extra_env,
        )  # fmt: skip
        wait_for(
            lambda: b" ready." in worker.log.read_bytes()[earlier:] or not worker.alive(),
            what=f"the Celery {name} to be ready",
        )
        assert worker.alive(), tail(worker.log)
        return worker

    def start_beat(self, name: str = "beat", **extra_env) -> Process:
        return self.start(
            name,
            [BIN / "celery", "-A", "evactrack", "beat", "--loglevel", "INFO",
             "--schedule", self.directory / f"celery{name}-schedule", "--pidfile="],
            **extra_env,
        )  # fmt: skip

    def start_all(self) -> None:
        started = time.monotonic()
        self.base_url = self.start_web()
        self.start_worker()
        self.start_beat()
        self.timings["start processes"] = time.monotonic() - started

    def stop_process(self, process: Process) -> None:
        process.stop()
        self.processes.remove(process)

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()
        self.processes.clear()

    def tear_down(self, *, keep_directory: bool = False) -> None:
        try:
            self.stop_all()
        finally:
            self.drop_database()
            if not keep_directory:
                shutil.rmtree(self.directory, ignore_errors=True)

    def log_tails(self, lines: int = 40) -> str:
        logs = sorted(self.directory.glob("*.log"))
        return "\n".join(tail(path, lines) for path in logs)

    def dead_processes(self) -> list[str]:
        return [f"{p.name} (exit {p.popen.returncode})" for p in self.processes if not p.alive()]
