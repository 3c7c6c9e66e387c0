"""Celery tasks of the reports. Thin: call a service, report a dict."""

from celery import shared_task

from reports.services import changes_prune, changes_stamp

STAMP_CHANGES = "reports.stamp_changes"
PRUNE_CHANGES = "reports.prune_changes"


@shared_task(name=STAMP_CHANGES, acks_late=True)
def stamp_changes() -> dict:
    """Run by beat: number committed change entries, so a feed read after a large import finds
    them numbered. The feed stamps on every read too and does not depend on this; a run that
    finds nothing to stamp reads one index and takes no lock."""
    return {"stamped": changes_stamp()}


@shared_task(name=PRUNE_CHANGES, acks_late=True)
def prune_changes() -> dict:
    """Run by beat, daily: delete change entries older than EVACTRACK_CHANGES_RETENTION_DAYS.
    Idempotent: a second run finds nothing old."""
    return {"pruned": changes_prune()}
