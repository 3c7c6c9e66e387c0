"""evactrack: tracking civilian evacuations, every number tied to its source."""

from evactrack.celery import app as celery_app

__all__ = ("celery_app",)
