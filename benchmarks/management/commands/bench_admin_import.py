"""Time the admin import of a clean 5,000-row incident CSV: upload and check, then confirm.

    python manage.py bench_admin_import [--rows N] [--quick]

(with DATABASE_URL=postgres://... for PostgreSQL). Builds and drops a test database of its own,
so the configured one is never written: an area tree and a source made through the services,
then a superuser uploads the file in the admin (Django's test client, in-process).
"""

import csv
import io
import time

from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.runner import DiscoverRunner
from django.test.utils import setup_test_environment, teardown_test_environment
from django.urls import reverse

from locations.choices import AreaCategory
from locations.services import area_upsert
from reports.services import source_upsert

ROWS = 5000
QUICK_ROWS = 300
HEADER = ["incident_type", "occurred_on", "area_code", "summary", "source", "locator", "fatalities",
          "fatalities_qualifier", "children_killed", "children_killed_qualifier"]  # fmt: skip
SQLITE_FILE = "/tmp/evactrack-bench-import.sqlite3"


class Command(BaseCommand):
    help = "Time the admin's spreadsheet import of a clean incident CSV (check, then confirm)."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=ROWS, help=f"Rows in the CSV (default {ROWS:,}).")
        parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROWS} rows: checks the benchmark runs.")

    def handle(self, *args, rows, quick, **options):
        rows = QUICK_ROWS if quick else rows
        if connection.vendor == "sqlite":
            # A file with WAL, as the embedded deployment runs, not the test runner's in-memory database.
            settings.DATABASES["default"]["TEST"]["NAME"] = SQLITE_FILE
        # The test database's writes ask for recomputes: into memory, not the installation's queue.
        current_app.conf.broker_url = "memory://"
        setup_test_environment()
        runner = DiscoverRunner(verbosity=0)
        databases = runner.setup_databases()
        try:
            self._bench(rows)
        finally:
            runner.teardown_databases(databases)
            teardown_test_environment()

    def _bench(self, rows):
        city_code, source_slug = _places()
        user = get_user_model().objects.create_user("bench", password="x" * 20, is_staff=True, is_superuser=True)
        client = Client()
        client.force_login(user)
        content = _csv(
            ["shelling", f"2023-08-{n % 28 + 1:02d}", city_code, f"Shelling, report {n}.", source_slug, f"row {n}",
             "2", "exact", "", ""]
            for n in range(rows)
        )  # fmt: skip
        url = reverse("admin:reports_incident_import")
        started = time.perf_counter()
        checked = client.post(url, {"file": SimpleUploadedFile("incidents.csv", content)})
        checked_at = time.perf_counter()
        if not checked.context["check"].ok:
            raise CommandError(f"The file did not pass the check: {checked.context['check'].errors[:3]}")
        imported = client.post(url, {"token": checked.context["token"]})
        done = time.perf_counter()
        if imported.status_code != 302:
            raise CommandError(f"The import answered {imported.status_code}.")
        self.stdout.write(
            f"{connection.vendor}, {rows:,} rows: upload and check {checked_at - started:.1f} s, "
            f"import (re-check and insert) {done - checked_at:.1f} s, total {done - started:.1f} s"
        )


def _places() -> tuple[str, str]:
    """Kupiansk under its oblast, raion and hromada, and a source: what the rows cite."""
    parent, _ = area_upsert(code="UA", name_uk="Україна", name_en="Ukraine", category=AreaCategory.COUNTRY)
    for code, name, category in (
        ("UA63000000000041885", "Харківська", AreaCategory.OBLAST),
        ("UA63080000000058627", "Куп'янський", AreaCategory.RAION),
        ("UA63080090000053398", "Куп'янська", AreaCategory.HROMADA),
        ("UA63080090010026457", "Куп'янськ", AreaCategory.CITY),
    ):
        parent, _ = area_upsert(code=code, name_uk=name, category=category, parent=parent)
    source, _ = source_upsert(slug="bench-import-wire", title="Synthetic wire", publisher="Bench")
    return parent.code, source.slug


def _csv(rows) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return buffer.getvalue().encode()
