"""The chaos suite's installation: one per test session, on the backend the run has.

The e2e harness starts it (migrate, gazetteer, seed, gunicorn with two workers, a Celery worker
and beat). On PostgreSQL it gets a database of its own (`evactrack_chaos_<pid>`) and a
redis-server of its own on a free port, broker and cache alike, so a test can stop Redis and
start it again empty without touching the machine's shared Redis. After each test the usual
processes (one worker, one beat, Redis) run again, whatever the test stopped or added.
"""

import dataclasses
import os
import tempfile
import time
import urllib.parse
from pathlib import Path

import pytest

from tests.chaos.faults import RedisServer, repair, verify
from tests.e2e.client import Client
from tests.e2e.harness import Stack, backend_from_environment

ORGANIZATION = ("chaos-relief", "Chaos Relief (chaos suite)")
CALLERS = {"partner": ("chaos-relief", "partner"), "coordinator": ("chaos-relief", "coordinator")}
# Writes land on settlements of Kyiv oblast; reads of incidents go under Kharkiv (UA63), as the
# load benchmark's do.
WRITE_OBLAST = "UA32"

_state: dict = {"failed": False}


def chaos_backend():
    backend = backend_from_environment()
    if backend.name != "postgres":
        return backend
    parts = urllib.parse.urlsplit(backend.database_url)
    return dataclasses.replace(backend, database_url=parts._replace(path=f"/evactrack_chaos_{os.getpid()}").geturl())


@pytest.fixture(scope="session")
def stack():
    started = time.monotonic()
    installation = Stack(chaos_backend(), directory=Path(tempfile.mkdtemp(prefix="evactrack-chaos-")))
    _state["stack"] = installation
    try:
        if installation.backend.name == "postgres":
            redis = RedisServer(installation)
            redis.start()
            installation.backend = dataclasses.replace(installation.backend, redis_url=redis.url)
            _state["redis"] = redis
        installation.set_up(organizations=dict([ORGANIZATION]), callers=CALLERS)
        # Before any process runs: what `seed` alone leaves (test_the_seeded_installation_is_settled).
        _state["verdict after setup"] = verify(installation, wait=0)
        installation.start_all()
    except BaseException:
        _state["failed"] = True
        installation.tear_down(keep_directory=True)
        raise
    _state["setup"] = time.monotonic() - started
    yield installation
    installation.tear_down(keep_directory=_state["failed"])


@pytest.fixture(scope="session")
def verdict_after_setup(stack) -> dict:
    return _state["verdict after setup"]


@pytest.fixture(scope="session")
def redis_server(stack) -> RedisServer:
    if stack.backend.name != "postgres":
        pytest.skip("the embedded default has no Redis")
    return _state["redis"]


@pytest.fixture
def postgres_only(stack):
    if stack.backend.name != "postgres":
        pytest.skip("a PostgreSQL + Redis case: this run is on SQLite (set DATABASE_URL and REDIS_URL)")


@pytest.fixture
def embedded_only(stack):
    if stack.backend.name != "sqlite":
        pytest.skip("an embedded-default case (SQLite + folder queue): this run is on PostgreSQL")


@pytest.fixture(autouse=True)
def _usual_processes_again(request):
    """After each test: one worker, one beat and (PostgreSQL) Redis, whatever the test did; after a
    failed one, the system repaired (tests.chaos.faults.repair)."""
    yield
    if "stack" not in request.fixturenames:
        return
    installation = request.getfixturevalue("stack")
    failed = getattr(request.node, "chaos_failed", False)
    for process in list(installation.processes):
        if process.name not in ("redis", "web", "worker", "beat") or not process.alive():
            installation.stop_process(process)
    names = {process.name for process in installation.processes}
    redis = _state.get("redis")
    if redis is not None and "redis" not in names:
        redis.start()
    if "worker" not in names:
        installation.start_worker()
    if "beat" not in names:
        installation.start_beat()
    if failed:
        repair(installation)


@pytest.fixture(scope="session")
def settlements(stack) -> list[str]:
    """Codes of 50 settlements of the write oblast, found over HTTP as a partner finds them."""
    client = Client(stack.base_url, stack.tokens["partner"])
    (oblast,) = client.json("GET", "/api/v1/areas/", params={"pcode": WRITE_OBLAST, "level": "oblast"})["results"]
    page = client.json("GET", "/api/v1/areas/", params={"within": oblast["code"], "level": "settlement", "limit": 50})
    return [row["code"] for row in page["results"]]


@pytest.fixture
def partner_token(stack) -> str:
    return stack.tokens["partner"]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.failed and item.get_closest_marker("chaos") and "stack" in _state:
        _state["failed"] = True
        item.chaos_failed = True
        if report.when == "call":
            installation = _state["stack"]
            report.sections.append(("chaos process logs", installation.log_tails(30)))
    return report


def pytest_terminal_summary(terminalreporter):
    installation = _state.get("stack")
    if installation is None:
        return
    terminalreporter.section("chaos installation")
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in installation.timings.items())
    terminalreporter.write_line(f"chaos ran on {installation.backend.label}: {steps}")
    if _state["failed"]:
        terminalreporter.write_line(f"chaos folder kept for inspection: {installation.directory}")
