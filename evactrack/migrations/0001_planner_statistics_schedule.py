"""Beat refreshes the database's planner statistics nightly (evactrack.tasks); staff can change
the schedule in the admin. Re-running is harmless: an existing (possibly edited) row is kept."""

import json

from django.db import migrations

NAME = "db: refresh planner statistics"


def install(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    nightly, _ = CrontabSchedule.objects.get_or_create(
        minute="30", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Europe/Kyiv"
    )
    PeriodicTask.objects.create(
        name=NAME,
        task="db.refresh_planner_statistics",
        kwargs=json.dumps({}),
        crontab=nightly,
        description="SQLite plans by the statistics it was last given; PostgreSQL's autovacuum needs nothing",
        enabled=True,
    )


def uninstall(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("django_celery_beat", "0019_alter_periodictasks_options")]

    operations = [migrations.RunPython(install, uninstall)]
