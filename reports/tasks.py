"""Celery tasks of the reports. Thin: call a service, report a dict."""

from celery import shared_task

from reports.services import changes_stamp

STAMP_CHANGES = "reports.stamp_changes"


@shared_task(name=STAMP_CHANGES, acks_late=True)
def stamp_changes() -> dict:
    """Run by beat: number committed change entries, so a feed read after a large import finds
    them numbered. The feed stamps on every read too and does not depend on this; a run that
    finds nothing to stamp reads one index and takes no lock."""
    return {"stamped": changes_stamp()}
