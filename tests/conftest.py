"""Test configuration: which real services this run has, and the suites that need them.

The default run is SQLite with no services. With DATABASE_URL (PostgreSQL) and REDIS_URL set,
the suites marked postgres / redis / worker run too; whatever is missing is skipped and named
in the run's closing summary.
"""

import os
import shutil

import pytest

# Fixtures that start real Celery processes, for the worker and browser suites.
from tests.celery_processes import clean_broker, processes  # noqa: F401
from tests.chaos.faults import missing_for_chaos
from tests.e2e.harness import missing_for_e2e

SUITE_SKIP_PREFIX = "suite skipped"
_skipped_suites: dict[str, str] = {}


def _redis_available() -> str | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return "REDIS_URL is not set"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except Exception as error:  # noqa: BLE001 - any failure means "not available"
        return f"Redis at {url} does not answer ({error.__class__.__name__})"
    return None


def _postgres_available() -> str | None:
    from django.db import connection

    if connection.vendor != "postgresql":
        return "DATABASE_URL is not a PostgreSQL database"
    return None


def _browser_available() -> str | None:
    if not shutil.which("chromium"):
        return "Debian's chromium is not installed"
    try:
        import playwright  # noqa: F401
    except ImportError:
        return "the playwright package is not installed"
    return None


def _compose_available() -> str | None:
    return None if shutil.which("docker-compose") else "docker-compose (Debian package) is not installed"


SUITE_CHECKS = {
    "postgres": _postgres_available,
    "redis": _redis_available,
    # A worker process needs a broker it can share with the test process and a database it
    # can open: Redis and PostgreSQL.
    "worker": lambda: _redis_available() or _postgres_available(),
    "browser": _browser_available,
    "compose": _compose_available,
    # gunicorn, a worker and beat on a throwaway installation (tests/e2e/harness.py).
    "e2e": missing_for_e2e,
    # The same installation, with faults done to it (tests/chaos/).
    "chaos": missing_for_chaos,
}


def pytest_collection_modifyitems(config, items):
    reasons = {}
    for item in items:
        for suite, check in SUITE_CHECKS.items():
            if suite not in item.keywords:
                continue
            if suite not in reasons:
                reasons[suite] = check()
            if reasons[suite]:
                _skipped_suites[suite] = reasons[suite]
                item.add_marker(pytest.mark.skip(reason=f"{SUITE_SKIP_PREFIX} '{suite}': {reasons[suite]}"))


def pytest_terminal_summary(terminalreporter):
    if not _skipped_suites:
        terminalreporter.write_line("All test suites ran (no suite was skipped for a missing service).")
        return
    terminalreporter.section("suites skipped for missing services")
    for suite, reason in sorted(_skipped_suites.items()):
        terminalreporter.write_line(f"SKIPPED SUITE {suite}: {reason}")


@pytest.fixture
def staff_user(django_user_model):
    return django_user_model.objects.create_user(
        username="coordinator", password="a-long-test-password", is_staff=True, is_superuser=True
    )
