"""Single-flight: at most one recompute at a time, across processes and machines.

PostgreSQL: a transaction-scoped advisory lock, released by commit, rollback or the death of
the connection (a SIGKILLed worker never leaves it behind). Elsewhere (SQLite): a lock row,
taken in its own short transaction so other processes see it at once, naming the holder's
host, process id and process start. A holder on this host whose process is gone (or whose id
now names a newer process, as in a restarted container) is taken over at once; a holder on
another host only when its row expires.

No heartbeat refreshes the row: the holder's transaction keeps SQLite's one write lock for the
whole run, so no other connection could write it, and a SQLite file is not shared across hosts.
"""

import contextlib
import datetime
import logging
import os
import socket
import uuid
import zlib
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from evactrack.status.models import RecomputeLock

logger = logging.getLogger(__name__)

RECOMPUTE_LOCK = "status-recompute"


def _advisory_key(name: str) -> int:
    # A stable signed 64-bit key per name; the high word keeps it apart from other apps' keys.
    return (0x45565431 << 32 | zlib.crc32(name.encode())) - (1 << 63)


def process_start_token(pid: int) -> str:
    """When process `pid` started, in the system's clock ticks since boot (Linux); "" when unknown."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
    except OSError:
        return ""
    # The command name (field 2) may hold spaces and parentheses: count fields after its end.
    fields = stat[stat.rfind(")") + 2 :].split()
    return fields[19] if len(fields) > 19 else ""


def process_alive(pid: int, start_token: str = "") -> bool:
    """Whether process `pid` on this host still runs and is the one that started at `start_token`."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass  # another user's process: alive
    return not start_token or process_start_token(pid) in ("", start_token)


def default_ttl() -> datetime.timedelta:
    # Beyond the hard time limit a task is dead, so its lock row may be taken over.
    return datetime.timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT + 60)


@contextlib.contextmanager
def single_flight(name: str = RECOMPUTE_LOCK, *, ttl: datetime.timedelta | None = None) -> Iterator[bool]:
    """Yield True inside a transaction when this caller holds the lock, False when another does."""
    if connection.vendor == "postgresql":
        with transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [_advisory_key(name)])
                acquired = cursor.fetchone()[0]
            yield acquired
        return
    holder = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
    acquired = _row_lock_acquire(name, holder, ttl or default_ttl())
    if not acquired:
        yield False
        return
    try:
        with transaction.atomic():
            yield True
    finally:
        RecomputeLock.objects.filter(name=name, holder=holder).delete()


def _row_lock_acquire(name: str, holder: str, ttl: datetime.timedelta) -> bool:
    now, host, pid = timezone.now(), socket.gethostname(), os.getpid()
    with transaction.atomic():
        held = RecomputeLock.objects.filter(name=name).first()
        if held is not None and _holder_gone(held, now=now, host=host):
            logger.warning("Taking over the lock %s from %s: its holder is gone.", name, held.holder)
            RecomputeLock.objects.filter(name=name, holder=held.holder).delete()
        _lock, created = RecomputeLock.objects.get_or_create(
            name=name,
            defaults={
                "holder": holder,
                "host": host,
                "pid": pid,
                "pid_started": process_start_token(pid),
                "acquired_at": now,
                "expires_at": now + ttl,
            },
        )
    return created


def _holder_gone(lock: RecomputeLock, *, now: datetime.datetime, host: str) -> bool:
    if lock.expires_at < now:
        return True
    return lock.host == host and lock.pid is not None and not process_alive(lock.pid, lock.pid_started)
