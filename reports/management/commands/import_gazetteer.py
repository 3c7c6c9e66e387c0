"""`python manage.py import_gazetteer [--source PATH] [--prune] [--no-counts]`

Loads the whole Ukrainian administrative tree (by default from the committed data file, offline)
and then records each GeoNames population as a baseline PopulationCount citing GeoNames.

This command is the one place in `locations` that imports `reports`: it composes the two apps
the way the admin or the API does. The library code of `locations` (models, services, resolver,
gazetteer) never imports `reports`; a test checks that.
"""

import sys
import time

from django.core.management.base import BaseCommand

from locations import gazetteer
from locations.services import gazetteer_import
from reports.services import population_counts_sync_gazetteer


class Command(BaseCommand):
    help = "Import the KATOTTG area tree, GeoNames points and populations, and every known spelling."

    def add_arguments(self, parser):
        parser.add_argument(
            "--source",
            help="A codifier XLSX or CSV, or a gazetteer .jsonl.gz file (default: the committed data file).",
        )
        parser.add_argument(
            "--prune", action="store_true", help="Delete areas the file no longer lists, unless reports use them."
        )
        parser.add_argument(
            "--no-counts", action="store_true", help="Do not record GeoNames populations as population counts."
        )

    def handle(self, *args, source=None, prune=False, no_counts=False, verbosity=1, **options):
        self.verbosity = verbosity
        started = time.monotonic()
        records = gazetteer.records_read(source)
        self._progress_line(f"Read {len(records)} records from {source or gazetteer.DATA_FILE.name}")
        summary = gazetteer_import(records=records, prune=prune, progress=self._progress)
        for problem in summary.problems[:50]:
            self.stderr.write(f"  skipped {problem}")
        counts = ""
        if not no_counts:
            counts_started = time.monotonic()
            self._progress_line("Recording GeoNames populations as population counts ...")
            created, updated, unchanged = population_counts_sync_gazetteer()
            counts = (
                f"; population counts: {created} created, {updated} updated, {unchanged} unchanged "
                f"in {time.monotonic() - counts_started:.1f} s; total {time.monotonic() - started:.1f} s"
            )
        self._end_progress()
        self.stdout.write(summary.line().rstrip(".") + counts + ".")

    def _progress(self, stage, done, total):
        self._progress_line(f"{stage}: {done}/{total}")

    def _progress_line(self, text):
        # Progress goes to stderr, rewritten in place on a terminal, so stdout keeps only the summary.
        if sys.stderr.isatty():
            self.stderr.write(f"\r{text:<60}", ending="")
        elif self.verbosity >= 2:
            self.stderr.write(text)

    def _end_progress(self):
        if sys.stderr.isatty():
            self.stderr.write("\r" + " " * 60 + "\r", ending="")
