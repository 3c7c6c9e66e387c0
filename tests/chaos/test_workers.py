"""A worker killed or stopped in the middle of a recompute, on either backend.

The recompute is a full every-area run over stored statuses made stale (faults.STALE_DIGEST):
only that run repairs them, so the oracle shows whether the run came back after the fault.
"""

import datetime
import signal
import time

import pytest

from tests.chaos.faults import (
    RECOMPUTE_LOCK,
    assert_settled,
    dirty_marks,
    full_run_succeeded,
    kill,
    log_since,
    log_size,
    named,
    scalar,
    start_full_every_area_run,
)
from tests.e2e.client import Client, describe
from tests.e2e.harness import wait_for

pytestmark = pytest.mark.chaos

# Recomputes resume this soon after a killed worker is replaced, not when its lock expires
# (CELERY_TASK_TIME_LIMIT + 60 s = 420 s): 30 s leaves room for a loaded 2-core machine, where
# 10 s once ran out while another suite ran beside CI.
RESUME_DEADLINE = 30.0
# SIGTERM: a warm shutdown lets the running recompute finish (seconds at this data size).
WARM_SHUTDOWN_DEADLINE = 60.0


def write_incident(stack, area: str) -> None:
    client = Client(stack.base_url, stack.tokens["partner"])
    body = {
        "incident_type": "shelling", "occurred_on": (datetime.date.today() - datetime.timedelta(days=1)).isoformat(),
        "area": area, "fatalities": 1, "fatalities_qualifier": "exact", "summary": "After the worker died.",
        "citations": [{"source": "afp-2023-08-kupiansk-evacuation-call", "locator": "¶1"}],
    }  # fmt: skip
    response = client.post("/api/v1/incidents/", body)
    assert response.status_code == 201, describe(response)


def test_sigkill_mid_recompute_then_a_new_worker(stack, settlements):
    worker = named(stack, "worker")
    offset = log_size(worker)
    held = start_full_every_area_run(stack, worker)
    try:
        kill(stack, worker)
    finally:
        if held is not None:
            held.release()
    assert not full_run_succeeded(worker, offset), "the full recompute finished before the kill"
    if stack.backend.name == "sqlite":
        held_by = scalar(stack, f"SELECT count(*) FROM {RECOMPUTE_LOCK}")
        print(f"lock rows left by the killed worker: {held_by}")
    stack.start_worker()
    started = time.monotonic()
    write_incident(stack, settlements[45])
    wait_for(lambda: dirty_marks(stack) == 0, what="a write's dirty mark to be recomputed after the new worker started",
             timeout=RESUME_DEADLINE, interval=0.2)  # fmt: skip
    print(f"recomputes resumed {time.monotonic() - started:.1f} s after the new worker started")
    # The killed run comes back (or is served by the next lock holder): every status repaired.
    assert_settled(stack, why="after the worker was killed mid-recompute: ")


def test_sigterm_during_a_recompute_is_a_warm_shutdown(stack):
    worker = named(stack, "worker")
    offset = log_size(worker)
    held = start_full_every_area_run(stack, worker)
    try:
        worker.popen.send_signal(signal.SIGTERM)
        wait_for(lambda: "Warm shutdown" in log_since(worker, offset), what="the worker to begin a warm shutdown",
                 timeout=20)  # fmt: skip
    finally:
        if held is not None:
            held.release()
    wait_for(lambda: not worker.alive(), what="the worker to finish its task and exit", timeout=WARM_SHUTDOWN_DEADLINE)
    stack.processes.remove(worker)
    assert worker.popen.returncode == 0, f"the worker exited with {worker.popen.returncode}"
    finished = full_run_succeeded(worker, offset)
    stack.start_worker()
    # Finished before the exit, or back on the new worker: either way every status is repaired.
    assert_settled(stack, why=f"after a SIGTERM mid-recompute (finished before exit: {finished}): ")
