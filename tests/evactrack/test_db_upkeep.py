"""Database upkeep run by beat: the planner's statistics, refreshed nightly."""

import pytest
from django.db import connection
from django_celery_beat.models import PeriodicTask

from evactrack.tasks import REFRESH_PLANNER_STATISTICS, refresh_statistics
from locations.models import Area
from tests.factories import AreaFactory

pytestmark = pytest.mark.django_db


def sqlite_statistics() -> dict:
    """Table → SQLite's recorded row count (the first number of each index's stat)."""
    with connection.cursor() as cursor:
        if not cursor.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").fetchone():
            return {}
        rows = cursor.execute("SELECT tbl, stat FROM sqlite_stat1").fetchall()
    return {table: int(stat.split()[0]) for table, stat in rows if stat}


def test_a_nightly_task_measures_the_tables_again():
    schedule = PeriodicTask.objects.get(name="db: refresh planner statistics")
    assert (schedule.task, schedule.enabled, schedule.crontab.hour) == (REFRESH_PLANNER_STATISTICS, True, "3")
    result = refresh_statistics.apply().get()
    if connection.vendor != "sqlite":
        assert result == {"analyzed": False}  # autovacuum's work on PostgreSQL
        return
    assert result == {"analyzed": True}
    for _ in range(3):
        AreaFactory()
    assert sqlite_statistics().get("locations_area", 0) != Area.objects.count()  # stale
    refresh_statistics.apply().get()
    assert sqlite_statistics()["locations_area"] == Area.objects.count()
