"""Every schedule the migrations install names a task the worker has: beat sends a misspelled
name without complaint, and the worker drops it."""

import pytest
from django_celery_beat.models import PeriodicTask

from evactrack.celery import app

pytestmark = pytest.mark.django_db


def test_every_installed_schedule_names_a_registered_task():
    app.loader.import_default_modules()
    scheduled = set(PeriodicTask.objects.values_list("task", flat=True))
    assert {"reports.stamp_changes", "reports.prune_changes"} <= scheduled
    assert scheduled <= set(app.tasks), scheduled - set(app.tasks)
