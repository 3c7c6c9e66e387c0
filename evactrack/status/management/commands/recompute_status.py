"""Recompute area statuses now: every area (default) or only the areas marked dirty."""

import datetime

from django.core.management.base import BaseCommand

from evactrack.status.services import status_recompute_dirty, status_recompute_full


class Command(BaseCommand):
    help = "Recompute area statuses: all areas, or only the dirty ones with --dirty."

    def add_arguments(self, parser):
        parser.add_argument("--dirty", action="store_true", help="Only areas marked dirty (what the sweep does).")
        parser.add_argument(
            "--every-area",
            action="store_true",
            help="Judge every area, not only those whose inputs or dates changed since the last full run.",
        )
        parser.add_argument("--as-of", type=datetime.date.fromisoformat, help="Judge at this date (default today).")

    def handle(self, *args, dirty, every_area, as_of, **options):
        if dirty:
            report = status_recompute_dirty(as_of=as_of)
        else:
            report = status_recompute_full(as_of=as_of, every_area=every_area)
        if report.skipped:
            self.stdout.write(self.style.WARNING("Skipped: another recompute holds the lock."))
            return
        self.stdout.write(
            f"{report.kind} recompute as of {report.as_of}: {report.areas_computed} areas computed, "
            f"{report.rows_written} rows written, {report.changes_appended} changes appended "
            f"in {report.duration_ms} ms."
        )
