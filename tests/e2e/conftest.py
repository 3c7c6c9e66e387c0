"""The black-box suite's installation: one per test session, on the backend the run has.

Partners, a viewer and a coordinator get tokens from `api_token issue`; every test talks HTTP
to gunicorn, and the worker and beat run beside it. When a test fails, the tails of every
process's log are attached to its report and the folder is kept.
"""

import time

import pytest

from tests.e2e.client import Client
from tests.e2e.harness import Stack, backend_from_environment

ORGANIZATIONS = {
    "e2e-alpha": "Alpha Relief (e2e)",
    "e2e-beta": "Beta Aid (e2e)",
    "e2e-cell": "Coordination cell (e2e)",
}
CALLERS = {
    "partner": ("e2e-alpha", "partner"),
    "other_partner": ("e2e-beta", "partner"),
    "viewer": ("e2e-alpha", "viewer"),
    "coordinator": ("e2e-cell", "coordinator"),
}
# The schemathesis run writes random rows, so the tests that read particular rows go first.
# The throttling test spends the address's budget for requests without valid credentials: on
# Redis that budget is shared with the main server, which then refuses 127.0.0.1 for a window.
RUN_LAST = ("test_schemathesis.py", "test_throttling.py")

_report: dict = {"failed": False}


@pytest.fixture(scope="session")
def stack():
    started = time.monotonic()
    installation = Stack(backend_from_environment())
    _report["stack"] = installation
    try:
        installation.set_up(organizations=ORGANIZATIONS, callers=CALLERS)
        installation.start_all()
    except Exception as error:  # noqa: BLE001 - any failure to start is reported the same way
        # The logs go with the first failing test's report only; every later test re-raises this.
        _report["startup logs"] = installation.log_tails()
        installation.tear_down(keep_directory=True)
        _report["failed"] = True
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        raise AssertionError(f"the e2e installation did not start: {first_line}") from None
    except BaseException:  # interrupted: no process may outlive the run
        installation.tear_down(keep_directory=True)
        raise
    _report["setup"] = time.monotonic() - started
    yield installation
    installation.tear_down(keep_directory=_report["failed"])
    _report["total"] = time.monotonic() - started


@pytest.fixture(autouse=True)
def _processes_stay_up(request):
    yield
    if "stack" in request.fixturenames:
        dead = request.getfixturevalue("stack").dead_processes()
        assert not dead, f"processes died during the test: {', '.join(dead)}"


def _client(stack, caller: str) -> Client:
    return Client(stack.base_url, stack.tokens[caller], name=caller)


@pytest.fixture
def partner(stack):
    return _client(stack, "partner")


@pytest.fixture
def other_partner(stack):
    return _client(stack, "other_partner")


@pytest.fixture
def viewer(stack):
    return _client(stack, "viewer")


@pytest.fixture
def coordinator(stack):
    return _client(stack, "coordinator")


@pytest.fixture
def anonymous(stack):
    return Client(stack.base_url)


def pytest_collection_modifyitems(config, items):
    last = sorted((item for item in items if item.path.name in RUN_LAST), key=lambda i: RUN_LAST.index(i.path.name))
    if not last:
        return
    rest = [item for item in items if item.path.name not in RUN_LAST]
    ours = [index for index, item in enumerate(rest) if item.get_closest_marker("e2e")]
    at = ours[-1] + 1 if ours else len(rest)
    items[:] = rest[:at] + last + rest[at:]


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if not (report.failed and item.get_closest_marker("e2e") and "stack" in _report):
        return report
    _report["failed"] = True
    if "startup logs" in _report:
        report.sections.append(("e2e process logs at start-up", _report.pop("startup logs")))
    elif report.when == "call":
        report.sections.append(("e2e process logs", _report["stack"].log_tails()))
    return report


def pytest_terminal_summary(terminalreporter):
    installation = _report.get("stack")
    if installation is None:
        return
    terminalreporter.section("e2e installation")
    steps = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in installation.timings.items())
    terminalreporter.write_line(f"e2e ran on {installation.backend.label}: {steps}")
    if "setup" in _report:
        total = f"; e2e total {_report['total']:.1f} s" if "total" in _report else ""
        terminalreporter.write_line(f"e2e setup {_report['setup']:.1f} s{total}")
    if installation.backend.name == "sqlite":
        terminalreporter.write_line(
            "e2e on PostgreSQL + Redis not attempted: it needs DATABASE_URL=postgres://… and REDIS_URL"
        )
    if _report["failed"]:
        terminalreporter.write_line(f"e2e folder kept for inspection: {installation.directory}")
