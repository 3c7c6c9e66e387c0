"""Beat prunes the change feed's old entries once a day; staff can change the schedule in the admin."""

import json

from django.db import migrations

NAME = "reports: prune old change-feed entries"


def install(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    daily, _ = IntervalSchedule.objects.get_or_create(every=1, period="days")
    PeriodicTask.objects.create(
        name=NAME,
        task="reports.prune_changes",
        kwargs=json.dumps({}),
        interval=daily,
        description="deletes change entries older than EVACTRACK_CHANGES_RETENTION_DAYS (default 90)",
        enabled=True,
    )


def uninstall(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0016_change_types_designation_and_area_status"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
