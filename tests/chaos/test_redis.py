"""PostgreSQL + Redis: the suite's own Redis (broker and cache) stopped under load, and restarted empty."""

import signal

import pytest
import requests

from tests.chaos.faults import Load, assert_all_2xx, assert_settled, assert_writes_kept, named
from tests.e2e.client import describe
from tests.e2e.harness import wait_for

pytestmark = [pytest.mark.chaos, pytest.mark.usefixtures("postgres_only")]

# Answers to wait for in each phase: enough requests of each kind to meet the fault.
PER_PHASE = 40


def test_redis_stopped_during_writes_and_reads(stack, redis_server, settlements, partner_token):
    load = Load(stack, partner_token, settlements[10:20], writers=2, readers=2, seconds=60, max_requests=2000)
    load.start()
    try:
        wait_for(lambda: len(load.answers) >= PER_PHASE, what="the load to get going", timeout=30)
        redis_server.stop()
        down_from = len(load.answers)
        wait_for(lambda: len(load.answers) >= down_from + PER_PHASE, what="requests while Redis is down", timeout=30)
        health = requests.get(f"{stack.base_url}/health/", timeout=10)
        assert health.status_code == 200, describe(health)
        assert health.json()["status"] == "degraded" and {"broker", "cache"} <= set(health.json()["failing"]), (
            health.json()
        )
        redis_server.start()
        up_from = len(load.answers)
        wait_for(lambda: len(load.answers) >= up_from + PER_PHASE, what="requests after Redis is back", timeout=30)
    finally:
        load.stopped.set()
        load.wait()
    writes_while_down = [a for a in load.answers[down_from:up_from] if a.kind == "write"]
    assert writes_while_down, "no write was sent while Redis was down"
    assert_all_2xx(load)
    wait_for(lambda: requests.get(f"{stack.base_url}/health/", timeout=10).json()["status"] == "ok",
             what="/health/ to say ok again", timeout=30)  # fmt: skip
    assert_settled(stack, why="after Redis came back: ")
    assert_writes_kept(stack, partner_token, load)
    assert not stack.dead_processes(), f"processes died: {stack.dead_processes()}"


def test_redis_restarted_without_persistence_the_sweep_catches_up(stack, redis_server, settlements, partner_token):
    # No worker takes the messages, so they wait in Redis, then go with it.
    stack.stop_process(named(stack, "worker"))
    load = Load(stack, partner_token, settlements[20:30], writers=2, readers=0, seconds=30, max_requests=30)
    load.start().wait()
    assert_all_2xx(load)
    assert redis_server.queued() > 0, "no message was waiting in Redis: the case tests nothing"
    redis_server.stop(signal.SIGKILL)
    redis_server.start()
    assert redis_server.queued() == 0
    stack.start_worker()
    assert_settled(stack, why="after Redis lost its queue: ")
    assert_writes_kept(stack, partner_token, load)
