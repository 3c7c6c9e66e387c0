"""A full recompute is never lost: asked for while another run holds the lock, or killed halfway,
it stays requested in the database until a run serves it (the lock holder before it lets go,
or the next run of any kind)."""

import datetime
import socket
import subprocess
import sys
import threading
from contextlib import contextmanager

import pytest
from django.db import connection, connections
from django.utils import timezone

from evactrack.status import services
from evactrack.status.choices import RunKind
from evactrack.status.locks import RECOMPUTE_LOCK, _advisory_key, process_start_token
from evactrack.status.models import AreaStatus, FullRunRequest, Policy, RecomputeLock, RecomputeRun
from evactrack.status.services import (
    policy_save,
    status_recompute_dirty,
    status_recompute_full,
    status_recompute_full_request,
)
from tests.celery_processes import wait_for
from tests.factories import AreaFactory, IncidentFactory

TODAY = timezone.localdate()


def served_full_runs():
    return RecomputeRun.objects.filter(kind=RunKind.FULL, skipped=False)


@contextmanager
def lock_held_elsewhere():
    """Another worker holds the recompute lock until the block ends."""
    if connection.vendor == "postgresql":
        import psycopg

        db = connection.settings_dict
        other = psycopg.connect(
            dbname=db["NAME"],
            user=db["USER"],
            password=db["PASSWORD"] or None,
            host=db["HOST"],
            port=db["PORT"] or 5432,
        )
        other.execute("SELECT pg_advisory_xact_lock(%s)", [_advisory_key(RECOMPUTE_LOCK)])
        try:
            yield
        finally:
            other.rollback()
            other.close()
        return
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    RecomputeLock.objects.create(
        name=RECOMPUTE_LOCK,
        holder="another worker",
        host=socket.gethostname(),
        pid=process.pid,
        pid_started=process_start_token(process.pid),
        expires_at=timezone.now() + datetime.timedelta(minutes=5),
    )
    try:
        yield
    finally:
        RecomputeLock.objects.all().delete()
        process.stdin.close()
        process.wait(timeout=10)


@pytest.mark.django_db(transaction=True)
def test_a_full_run_that_meets_the_lock_is_served_by_the_next_run():
    area = AreaFactory()
    IncidentFactory(area=area, occurred_on=TODAY)
    status_recompute_dirty()
    RecomputeRun.objects.all().delete()
    with lock_held_elsewhere():
        assert status_recompute_full(every_area=True).skipped
        assert status_recompute_dirty().skipped
        assert FullRunRequest.objects.filter(every_area=True).count() == 1
        assert not served_full_runs().exists()
    # Skipped incremental runs leave no row; the skipped full run says it was put off.
    assert list(RecomputeRun.objects.values_list("kind", "skipped")) == [(RunKind.FULL, True)]
    status_recompute_dirty()
    assert served_full_runs().filter(every_area=True).count() == 1
    assert not FullRunRequest.objects.exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_lock_holder_serves_a_full_run_asked_for_meanwhile():
    import psycopg

    for _ in range(3):
        AreaFactory()
    db = connection.settings_dict
    blocker = psycopg.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None, host=db["HOST"], port=db["PORT"] or 5432
    )
    # The holder's run waits at its write with the lock taken, until the blocker lets go.
    blocker.execute(f"LOCK TABLE {AreaStatus._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")
    holder_reports = []

    def holder():
        try:
            holder_reports.append(status_recompute_full())
        finally:
            connections.close_all()

    thread = threading.Thread(target=holder)
    thread.start()
    try:
        wait_for(lambda: _backends_waiting_on_a_lock() > 0, what="the holder to wait at its write", timeout=30)
        assert status_recompute_full(every_area=True).skipped
        assert FullRunRequest.objects.filter(every_area=True).exists()
    finally:
        blocker.rollback()
        blocker.close()
        thread.join(timeout=60)
    assert holder_reports and not holder_reports[0].skipped
    assert served_full_runs().count() == 2
    assert served_full_runs().order_by("started_at", "id").last().every_area
    assert not FullRunRequest.objects.exists()


def _backends_waiting_on_a_lock() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_a_full_run_that_dies_halfway_is_served_by_the_next_run(monkeypatch):
    AreaFactory()

    def worker_killed(*args, **kwargs):
        raise SystemExit("killed")

    monkeypatch.setattr(services, "persist", worker_killed)
    with pytest.raises(SystemExit):
        status_recompute_full(every_area=True)
    assert FullRunRequest.objects.filter(every_area=True).exists()  # written before the run started
    assert not served_full_runs().exists()
    monkeypatch.undo()
    status_recompute_dirty()
    assert served_full_runs().filter(every_area=True).count() == 1
    assert not FullRunRequest.objects.exists()


@pytest.mark.django_db
def test_requests_for_one_date_are_served_by_one_run_and_every_area_wins():
    earlier = TODAY - datetime.timedelta(days=3)
    status_recompute_full_request(as_of=None, every_area=False)
    status_recompute_full_request(as_of=None, every_area=True)
    status_recompute_full_request(as_of=earlier, every_area=False)
    AreaFactory()
    status_recompute_full()
    assert not FullRunRequest.objects.exists()
    assert sorted(served_full_runs().values_list("as_of", "every_area")) == [(earlier, True), (TODAY, True)]


@pytest.mark.django_db
def test_a_policy_change_asks_for_a_full_run_in_its_own_transaction():
    # Even with the broker down the request is there, committed with the policy.
    policy_save(policy=Policy(name="Stricter", is_active=True, advisory_threshold=3))
    assert FullRunRequest.objects.filter(as_of=None).exists()


@pytest.mark.django_db
def test_old_run_records_are_purged_but_the_last_full_run_stays():
    AreaFactory()
    status_recompute_full()
    long_ago = timezone.now() - datetime.timedelta(days=services.RUN_RECORDS_KEPT_DAYS + 1)
    RecomputeRun.objects.update(started_at=long_ago)
    RecomputeRun.objects.create(kind=RunKind.FULL, as_of=TODAY, skipped=True, started_at=long_ago)
    status_recompute_full()
    assert RecomputeRun.objects.filter(started_at=long_ago, skipped=True).count() == 0
    assert RecomputeRun.objects.count() == 1  # the newest; the digest baseline of the next run


@pytest.mark.worker
def test_a_full_run_left_by_a_dead_worker_is_served_when_a_worker_starts(processes, clean_broker):
    AreaFactory()
    # What a worker killed mid-run leaves: its request, and no message a queue would deliver again.
    status_recompute_full_request(as_of=None, every_area=True)
    processes("worker")
    wait_for(lambda: not FullRunRequest.objects.exists(), what="the starting worker to serve the request", timeout=30)
    assert served_full_runs().filter(every_area=True).count() == 1
