"""`python manage.py import_acled FILE [--dry-run]`: incidents from an ACLED export (CSV or XLSX).

The rules (types, places, casualties, the ACLED source, idempotence) are reports.acled's.
"""

import pathlib
import time

from django.core.management.base import BaseCommand, CommandError

from reports.acled import AcledFileError, acled_import
from reports.importing import ImportFileError


class Command(BaseCommand):
    help = "Import incidents from a file in ACLED's column layout; rows already imported are skipped."

    def add_arguments(self, parser):
        parser.add_argument("file", help="An ACLED export, .csv or .xlsx.")
        parser.add_argument("--dry-run", action="store_true", help="Check every row and say what would be written.")

    def handle(self, *args, file, dry_run=False, **options):
        started = time.monotonic()
        path = pathlib.Path(file)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        self.stderr.write(f"Reading {path.name} and resolving its places …")
        try:
            report = acled_import(content=content, filename=path.name, dry_run=dry_run)
        except (AcledFileError, ImportFileError) as error:
            raise CommandError(str(error)) from error
        for number, column, message in report.errors:
            self.stderr.write(f"  row {number}, {column}: {message}")
        for event_type, count in sorted(report.skipped_types.items()):
            self.stderr.write(f"  skipped {count} × {event_type or '(no event type)'}")
        self.stdout.write(f"{report.line()} ({time.monotonic() - started:.1f} s)")
        if report.errors:
            raise CommandError(f"{len(report.errors)} rows have errors; nothing was written.")
