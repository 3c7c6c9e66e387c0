"""Beat stamps the change feed's entries every 10 seconds; staff can change the schedule in the admin."""

import json

from django.db import migrations

NAME = "reports: stamp change-feed entries"


def install(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    every_10s, _ = IntervalSchedule.objects.get_or_create(every=10, period="seconds")
    PeriodicTask.objects.create(
        name=NAME,
        task="reports.stamp_changes",
        kwargs=json.dumps({}),
        interval=every_10s,
        description="numbers committed change entries ahead of the feed's readers, which stamp too",
        enabled=True,
    )


def uninstall(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("reports", "0011_change_feed"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
