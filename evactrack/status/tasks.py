"""Celery tasks of the status engine. Thin: take JSON primitives, call a service, report a dict.

All are idempotent (a recompute run twice writes nothing the second time), so acks_late and
reject-on-worker-lost (settings) may redeliver them safely. Database errors that a retry can
cure (connection lost, serialization failure, SQLite busy) are retried with backoff.

A full recompute is requested in the database before it runs (FullRunRequest): one that met
the lock, or died with its worker, is served by the next run of any kind — the dirty sweep
every 30 s, or the one each worker sends itself when it starts.
"""

import datetime
import logging

from celery import current_app, shared_task
from celery.signals import worker_ready
from django.db import InterfaceError, OperationalError, connection

from evactrack.status.models import FullRunRequest
from evactrack.status.services import status_orders_expire, status_recompute_dirty, status_recompute_full
from reports.models import DirtyArea

logger = logging.getLogger(__name__)

RECOMPUTE_DIRTY = "status.recompute_dirty"
RECOMPUTE_FULL = "status.recompute_full"
EXPIRE_ORDERS = "status.expire_orders"

RETRY = {
    "autoretry_for": (OperationalError, InterfaceError),
    "retry_backoff": 2,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 8,
    "acks_late": True,
    "reject_on_worker_lost": True,
}


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


@shared_task(name=RECOMPUTE_DIRTY, **RETRY)
def recompute_dirty(as_of: str | None = None) -> dict:
    """Enqueued on commit by every write, and run by beat every ~30 s as the sweep."""
    report = status_recompute_dirty(as_of=_date(as_of))
    if report.remaining:
        # More dirty areas than one batch: continue at once rather than wait for the sweep.
        recompute_dirty.apply_async(kwargs={"as_of": as_of})
    return report.as_dict()


@shared_task(name=RECOMPUTE_FULL, **RETRY)
def recompute_full(as_of: str | None = None, every_area: bool = False) -> dict:
    """Run by beat: hourly (windows move with the calendar even when no input changes) and nightly for every area."""
    return status_recompute_full(as_of=_date(as_of), every_area=every_area).as_dict()


@worker_ready.connect
def serve_what_a_dead_worker_left(**_kwargs) -> None:
    """A run killed with its worker left its full-run request or its dirty marks; the folder
    queue never redelivers its message, and Redis only after the visibility timeout: serve them
    as soon as a worker is up."""
    try:
        if FullRunRequest.objects.exists() or DirtyArea.objects.exists():
            current_app.send_task(RECOMPUTE_DIRTY, retry=False)
    except Exception:  # noqa: BLE001 - the sweep serves it later; a worker must start regardless
        logger.warning("Pending full recomputes not looked at on worker start; the next sweep serves them.")
    finally:
        # The main process runs no task: it need not keep a connection.
        connection.close()


@shared_task(name=EXPIRE_ORDERS, **RETRY)
def expire_orders(as_of: str | None = None) -> dict:
    return {"expired": status_orders_expire(as_of=_date(as_of))}
