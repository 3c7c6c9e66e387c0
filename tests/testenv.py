"""Loaded by pytest before Django starts (`-p tests.testenv`): the environment of a test run.

Without a Redis broker, Celery messages go to memory so tests never write into var/; the
secret key is a throwaway one.
"""

import os

if not os.environ.get("REDIS_URL") and not os.environ.get("CELERY_BROKER_URL"):
    os.environ["CELERY_BROKER_URL"] = "memory://"
os.environ.setdefault("DJANGO_SECRET_KEY", "test-only-secret-key")
