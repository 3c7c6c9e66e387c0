"""The default policy and the beat schedules. Staff edit both in the admin afterwards.

Re-running is harmless: existing rows (possibly edited by staff) are left as they are.
"""

import json

from django.db import migrations

SCHEDULES = [
    # (name, task, every (seconds) or crontab, why)
    ("status: sweep dirty areas", "status.recompute_dirty", 30, "catches changes whose message was lost"),
    ("status: full recompute", "status.recompute_full", 3600, "time windows move with the calendar"),
    ("status: expire orders", "status.expire_orders", {"minute": "1", "hour": "0"}, "orders end at midnight in Kyiv"),
]


def install(apps, schema_editor):
    Policy = apps.get_model("status", "Policy")
    if not Policy.objects.exists():
        from evactrack.status.models import default_counted_states, default_type_weights

        Policy.objects.create(
            name="Default",
            is_active=True,
            incident_type_weights={str(k): v for k, v in default_type_weights().items()},
            counted_states=[str(state) for state in default_counted_states()],
        )
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    for name, task, every, why in SCHEDULES:
        if PeriodicTask.objects.filter(name=name).exists():
            continue
        fields = {"task": task, "description": why, "kwargs": json.dumps({}), "enabled": True}
        if isinstance(every, int):
            fields["interval"], _ = IntervalSchedule.objects.get_or_create(every=every, period="seconds")
        else:
            fields["crontab"], _ = CrontabSchedule.objects.get_or_create(
                day_of_week="*", day_of_month="*", month_of_year="*", timezone="Europe/Kyiv", **every
            )
        PeriodicTask.objects.create(name=name, **fields)


def uninstall(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[name for name, *_ in SCHEDULES]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("status", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
