"""Celery tasks of the API. Thin: call a service, report a dict."""

from celery import shared_task

from evactrack.access.services import idempotency_purge_expired

PURGE_IDEMPOTENCY = "api.purge_idempotency_keys"


@shared_task(name=PURGE_IDEMPOTENCY, acks_late=True)
def purge_idempotency_keys() -> dict:
    """Run by beat: expired Idempotency-Key records (and the responses they kept) are deleted."""
    return {"deleted": idempotency_purge_expired()}
