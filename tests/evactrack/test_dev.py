"""The `./dev` launcher: how it reports a failing command and how it stops the processes."""

import importlib.util
import os
import signal
import subprocess
import sys
import textwrap
import time
from importlib.machinery import SourceFileLoader
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_dev(var_dir: Path):
    os.environ["EVACTRACK_VAR_DIR"] = str(var_dir)  # read when the script loads
    loader = SourceFileLoader("evactrack_dev_script", str(ROOT / "dev"))
    spec = importlib.util.spec_from_loader(loader.name, loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.fixture
def dev(tmp_path, monkeypatch):
    monkeypatch.setenv("EVACTRACK_VAR_DIR", str(tmp_path))
    return load_dev(tmp_path)


def test_a_failing_command_prints_its_error_and_exit_code_only(tmp_path):
    env = {**os.environ, "EVACTRACK_VAR_DIR": str(tmp_path), "DJANGO_SECRET_KEY": "x"}
    result = subprocess.run(
        [sys.executable, "dev", "manage", "no_such_command"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 1
    assert "Unknown command: 'no_such_command'" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_the_web_servers_control_socket_is_in_the_data_folder(dev, tmp_path):
    web = [str(part) for part in dev.process_commands({"PORT": "8123"})["web"]]
    assert web[web.index("--control-socket") + 1] == str(tmp_path / "gunicorn.ctl")


# A main process that, like Celery's worker, stops its pool child itself on SIGTERM (warm
# shutdown). The child notes which signal reached it: SIGUSR1 from its parent is the orderly
# way, SIGTERM can only come from someone signalling the whole group.
MAIN = textwrap.dedent(
    """
    import signal, subprocess, sys, time
    def warm_shutdown(*_):
        child.send_signal(signal.SIGUSR1)
        child.wait()
        sys.exit(0)
    signal.signal(signal.SIGTERM, warm_shutdown if sys.argv[3] == "obeys" else signal.SIG_IGN)
    child = subprocess.Popen([sys.executable, "-c", sys.argv[1], sys.argv[2]])
    while True:
        time.sleep(0.1)
    """
)
CHILD = textwrap.dedent(
    """
    import signal, sys, time
    def note(number, _frame):
        open(sys.argv[1], "a").write(signal.Signals(number).name + "\\n")
        sys.exit(0)
    signal.signal(signal.SIGTERM, note)
    signal.signal(signal.SIGUSR1, note)
    open(sys.argv[1] + ".ready", "w").close()
    while True:
        time.sleep(0.1)
    """
)


def start_main(tmp_path, behaviour: str) -> tuple[subprocess.Popen, Path]:
    notes = tmp_path / f"child-{behaviour}"
    process = subprocess.Popen([sys.executable, "-c", MAIN, CHILD, str(notes), behaviour], start_new_session=True)
    deadline = time.monotonic() + 20
    while not Path(str(notes) + ".ready").exists():
        assert time.monotonic() < deadline, "the test process did not start"
        time.sleep(0.05)
    return process, notes


def test_stopping_signals_the_main_process_only(dev, tmp_path):
    process, notes = start_main(tmp_path, "obeys")
    dev.stop_processes({"worker": process}, grace_seconds=20)
    assert process.returncode == 0
    assert notes.read_text() == "SIGUSR1\n"


def test_a_process_that_ignores_the_request_is_killed_after_the_grace_period(dev, tmp_path):
    process, notes = start_main(tmp_path, "ignores")
    started = time.monotonic()
    dev.stop_processes({"worker": process}, grace_seconds=1)
    assert process.returncode == -signal.SIGKILL
    assert time.monotonic() - started < 10
    assert not notes.exists()  # the child went down with the group, with SIGKILL
