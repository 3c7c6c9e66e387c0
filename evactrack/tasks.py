"""Celery tasks of the project as a whole: database upkeep. Thin: call evactrack.kernel.db, report a dict."""

from celery import shared_task

from evactrack.kernel.db import refresh_planner_statistics

REFRESH_PLANNER_STATISTICS = "db.refresh_planner_statistics"


@shared_task(name=REFRESH_PLANNER_STATISTICS, acks_late=True)
def refresh_statistics() -> dict:
    """Run nightly by beat: the database's planner statistics, measured again."""
    return {"analyzed": refresh_planner_statistics()}
