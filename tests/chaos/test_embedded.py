"""The embedded default (SQLite + folder queue) under a steady write load: the queue keeps up."""

import time

import pytest

from tests.chaos.faults import (
    Load,
    assert_all_2xx,
    assert_settled,
    assert_writes_kept,
    dirty_marks,
    queued_messages,
)
from tests.e2e.harness import wait_for

pytestmark = [pytest.mark.chaos, pytest.mark.usefixtures("embedded_only")]

WRITES, RATE = 400, 20
# The load is a number of writes, not a duration: SQLite takes one writer at a time, and on 2 cores
# with the worker draining beside it the server answers 10-20 writes a second, so 400 writes paced
# at 20/s take 20-40 s. A time cap only guards against a server that has stopped answering.
TIME_CAP = 3 * WRITES / RATE
DRAIN_DEADLINE = 30.0


def test_four_hundred_paced_writes_drain_within_thirty_seconds(stack, settlements, partner_token):
    load = Load(stack, partner_token, settlements[:40], writers=4, readers=0, seconds=TIME_CAP, rate=RATE,
                max_requests=WRITES)  # fmt: skip
    started = time.monotonic()
    load.start().wait()
    assert_all_2xx(load)
    sent = len(load.answers)
    # A precondition, not the claim: the whole load was sent before the time cap.
    assert sent >= WRITES, f"only {sent} of {WRITES} writes in {TIME_CAP:.0f} s: the server stopped keeping up"
    print(f"{sent} writes in {time.monotonic() - started:.1f} s")
    stopped = time.monotonic()
    backlog = queued_messages(stack)
    wait_for(lambda: queued_messages(stack) == 0 and dirty_marks(stack) == 0,
             what=f"the folder queue ({backlog} messages when the load stopped) and the dirty marks to drain",
             timeout=DRAIN_DEADLINE, interval=0.5)  # fmt: skip
    print(f"{sent} writes; {backlog} messages queued at the end, drained in {time.monotonic() - stopped:.1f} s")
    assert_settled(stack, wait=DRAIN_DEADLINE)
    assert_writes_kept(stack, partner_token, load)
