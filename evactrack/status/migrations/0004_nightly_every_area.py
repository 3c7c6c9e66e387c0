"""A nightly full recompute that judges every area: the safety net under the hourly run.

The hourly run judges only areas whose inputs or dates changed (evactrack.status.fingerprint);
once a night every area is judged anyway, so nothing can stay wrong for longer than a day.
"""

import json

from django.db import migrations

NAME = "status: full recompute of every area"


def install(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    if PeriodicTask.objects.filter(name=NAME).exists():
        return
    # 03:15 in Kyiv: after orders expire at midnight, before the working day.
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute="15", hour="3", day_of_week="*", day_of_month="*", month_of_year="*", timezone="Europe/Kyiv"
    )
    PeriodicTask.objects.create(
        name=NAME,
        task="status.recompute_full",
        kwargs=json.dumps({"every_area": True}),
        crontab=crontab,
        description="judges every area once a night, whatever the hourly run found unchanged",
        enabled=True,
    )


def uninstall(apps, schema_editor):
    apps.get_model("django_celery_beat", "PeriodicTask").objects.filter(name=NAME).delete()


class Migration(migrations.Migration):
    dependencies = [("status", "0003_full_run_checks_inputs")]

    operations = [migrations.RunPython(install, uninstall)]
