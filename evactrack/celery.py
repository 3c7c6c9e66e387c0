"""The Celery application: reads CELERY_* Django settings and finds each app's tasks."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evactrack.settings")

app = Celery("evactrack")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
