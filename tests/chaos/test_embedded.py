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

RATE, SECONDS = 20, 20
DRAIN_DEADLINE = 30.0


def test_twenty_writes_a_second_drain_within_thirty_seconds(stack, settlements, partner_token):
    load = Load(stack, partner_token, settlements[:40], writers=4, readers=0, seconds=SECONDS, rate=RATE,
                max_requests=RATE * SECONDS)  # fmt: skip
    load.start().wait()
    assert_all_2xx(load)
    sent = len(load.answers)
    # A precondition, not the claim: the load was real. SQLite takes one writer at a time, and on
    # 2 cores with the worker draining beside it the server answers 13-20 writes a second.
    assert sent >= RATE * SECONDS * 0.5, f"only {sent} writes in {SECONDS} s: the load came nowhere near {RATE}/s"
    stopped = time.monotonic()
    backlog = queued_messages(stack)
    wait_for(lambda: queued_messages(stack) == 0 and dirty_marks(stack) == 0,
             what=f"the folder queue ({backlog} messages when the load stopped) and the dirty marks to drain",
             timeout=DRAIN_DEADLINE, interval=0.5)  # fmt: skip
    print(f"{sent} writes; {backlog} messages queued at the end, drained in {time.monotonic() - stopped:.1f} s")
    assert_settled(stack, wait=DRAIN_DEADLINE)
    assert_writes_kept(stack, partner_token, load)
