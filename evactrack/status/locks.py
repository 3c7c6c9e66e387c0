"""Single-flight: at most one recompute at a time, across processes and machines.

PostgreSQL: a transaction-scoped advisory lock, released by commit, rollback or the death of
the connection (a SIGKILLed worker never leaves it behind). Elsewhere (SQLite): a lock row
with an expiry, taken in its own short transaction so other processes see it at once; a
holder that died stops blocking when the row expires.
"""

import contextlib
import datetime
import os
import socket
import uuid
import zlib
from collections.abc import Iterator

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from evactrack.status.models import RecomputeLock

RECOMPUTE_LOCK = "status-recompute"


def _advisory_key(name: str) -> int:
    # A stable signed 64-bit key per name; the high word keeps it apart from other apps' keys.
    return (0x45565431 << 32 | zlib.crc32(name.encode())) - (1 << 63)


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
    now = timezone.now()
    with transaction.atomic():
        RecomputeLock.objects.filter(name=name, expires_at__lt=now).delete()
        _lock, created = RecomputeLock.objects.get_or_create(
            name=name, defaults={"holder": holder, "expires_at": now + ttl}
        )
    return created
