"""Times the admin import of a clean 5,000-row incident CSV: upload and check, then confirm.

Run: PYTHONPATH=. .venv/bin/python tests/admin/bench_admin_import.py [--rows N] [--quick]
(with DATABASE_URL=postgres://... for PostgreSQL). Builds and drops its own test database.
"""

import argparse
import os
import time

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "evactrack.settings")
os.environ.setdefault("DJANGO_SECRET_KEY", "benchmark-only")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.runner import DiscoverRunner  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.urls import reverse  # noqa: E402

ROWS = 5000
QUICK_ROWS = 300


def main():
    from django.conf import settings

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=ROWS, help=f"Rows in the CSV (default {ROWS:,}).")
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS} rows: checks the benchmark runs.")
    options = parser.parse_args()
    rows = QUICK_ROWS if options.quick else options.rows

    if connection.vendor == "sqlite":
        # A file with WAL, as the embedded deployment runs, not the test runner's in-memory database.
        settings.DATABASES["default"]["TEST"]["NAME"] = "/tmp/evactrack-bench-import.sqlite3"
    setup_test_environment()
    runner = DiscoverRunner(verbosity=0)
    databases = runner.setup_databases()
    try:
        from tests.admin.data import kupiansk_with_facts
        from tests.admin.test_import_export import as_csv, incident_rows

        kupiansk = kupiansk_with_facts()
        user = get_user_model().objects.create_user("bench", password="x" * 20, is_staff=True, is_superuser=True)
        client = Client()
        client.force_login(user)
        content = as_csv(incident_rows(kupiansk, rows))
        url = reverse("admin:reports_incident_import")
        started = time.perf_counter()
        checked = client.post(url, {"file": SimpleUploadedFile("incidents.csv", content)})
        checked_at = time.perf_counter()
        assert checked.context["check"].ok
        imported = client.post(url, {"token": checked.context["token"]})
        done = time.perf_counter()
        assert imported.status_code == 302
        print(
            f"{connection.vendor}, {rows:,} rows: upload and check {checked_at - started:.1f} s, "
            f"import (re-check and insert) {done - checked_at:.1f} s, total {done - started:.1f} s"
        )
    finally:
        runner.teardown_databases(databases)


if __name__ == "__main__":
    main()
