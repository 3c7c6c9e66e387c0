"""Views outside the API and the admin: the health check."""

import logging
import os

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from kombu import Connection

logger = logging.getLogger(__name__)

# Each dependency gets about a second: a load balancer's probe must not hang on a dead host.
BROKER_TIMEOUT = 1


def database_answers() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return True


def broker_answers() -> bool:
    """The broker takes connections; for the embedded folder queue, its folder is writable."""
    options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        folder = options.get("data_folder_in", "")
        return os.path.isdir(folder) and os.access(folder, os.W_OK)
    transport_options = {**options, "socket_connect_timeout": BROKER_TIMEOUT, "socket_timeout": BROKER_TIMEOUT}
    with Connection(
        settings.CELERY_BROKER_URL, connect_timeout=BROKER_TIMEOUT, transport_options=transport_options
    ) as broker:
        broker.ensure_connection(max_retries=0)
    return True


def cache_answers() -> bool:
    # A write, not a read: a cache that answers but refuses writes cannot count requests.
    cache.set("evactrack:health", 1, timeout=10)
    return True


# In the order they are named; only the first is required to serve requests.
CHECKS = {"database": database_answers, "broker": broker_answers, "cache": cache_answers}
REQUIRED = {"database"}


def health(request):
    """The state of each dependency, for load balancers, docker-compose and operators.

    503 only when the database does not answer: without the broker the periodic sweep catches
    up on recomputes, and without the cache throttling is off, so the process still serves
    reads and writes ("degraded"). Error details go to the log, not to this public answer.
    """
    checks = {}
    for name, check in CHECKS.items():
        try:
            checks[name] = "ok" if check() else "down"
        except Exception:  # any failure of a dependency is its being down
            logger.warning("Health check: the %s does not answer.", name, exc_info=True)
            checks[name] = "down"
    failing = [name for name, state in checks.items() if state != "ok"]
    if REQUIRED & set(failing):
        state, status_code = "down", 503
    else:
        state, status_code = ("degraded" if failing else "ok"), 200
    return JsonResponse({"status": state, "checks": checks, "failing": failing}, status=status_code)
