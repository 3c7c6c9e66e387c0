"""`python manage.py import_hostilities FILE [--source SLUG]`

Imports Ukraine's official list of territories where hostilities are (were) conducted or that are
temporarily occupied (Order No. 309 of the Ministry of Reintegration) as control designations,
through the designation services (history, dirty marks). See reports.importing.HostilitiesImporter.
"""

import sys
import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from reports.choices import CONTROL_KIND_OFFICIAL_NAMES, ControlKind
from reports.importing import HOSTILITIES_SOURCE, HostilitiesImporter, ImportFileError
from reports.models import Source
from reports.services import source_upsert

KINDS = "".join(f"                   {kind} = {CONTROL_KIND_OFFICIAL_NAMES[kind]}\n" for kind in ControlKind.values)
HELP = f"""Import the official list of territories of hostilities or occupation (CSV, UTF-8, or XLSX).

One row per hromada, kind and start date; the first row names the columns:

  hromada_code   the hromada's KATOTTG code (UA...; 19 characters). Hromadas only: a row naming
                 an oblast, a raion or a settlement is refused.
  kind           our code, its English label, or the list's wording (any case; "Російською
                 Федерацією" may be written or not):
{KINDS}  valid_from     the start date, YYYY-MM-DD or DD.MM.YYYY
  valid_until    the end date (the last day); empty while it lasts
  locator        optional: where in the list (section, item)
  summary        optional: our own words; default "On the official list ...: <kind>."

A row matches a stored designation by hromada, kind and start date: unchanged rows are skipped,
a changed end date is updated, anything else is created, so running twice writes nothing. The
whole file is checked first and every bad row named; nothing is written unless every row is good.
"""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        return super().create_parser(prog_name, subcommand, formatter_class=RawDescriptionHelpFormatter, **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("file", help="The list as CSV (UTF-8) or XLSX.")
        parser.add_argument(
            "--source",
            default=HOSTILITIES_SOURCE["slug"],
            help=(
                "Slug of the source every row cites (default: %(default)s, the order on zakon.rada.gov.ua, "
                "created on the first import if missing). Another slug must exist already."
            ),
        )

    def handle(self, *args, file, source, verbosity=1, **options):
        self.verbosity = verbosity
        started = time.monotonic()
        path = Path(file)
        try:
            content = path.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error.strerror}.") from error
        with transaction.atomic():
            cited = self._source(source)
            importer = HostilitiesImporter(content, path.name, source=cited)
            try:
                check = importer.check()
            except ImportFileError as error:
                raise CommandError(f"{path.name}: {error}") from error
            if check.errors:
                for error in check.errors:
                    self.stderr.write(f"  row {error.row}, {error.column}: {error.message}")
                rows = len({error.row for error in check.errors})
                # Raising rolls back a source created above: nothing at all is written.
                raise CommandError(f"{path.name}: {rows} of {check.rows} rows have errors; nothing was imported.")
            if not check.rows:
                raise CommandError(f"{path.name}: no rows.")
            done = importer.save(check, actor=None, progress=self._progress)
        self._end_progress()
        self.stdout.write(
            f"Hostilities list {path.name}: {check.rows} rows; {done['created']} created, {done['updated']} updated, "
            f"{done['unchanged']} unchanged in {time.monotonic() - started:.1f} s."
        )

    def _source(self, slug: str) -> Source:
        found = Source.objects.filter(slug=slug).first()
        if found is not None:
            return found
        if slug != HOSTILITIES_SOURCE["slug"]:
            raise CommandError(f"No source with slug {slug}: add it first (admin → Sources).")
        fields = {name: value for name, value in HOSTILITIES_SOURCE.items() if name != "slug"}
        return source_upsert(slug=slug, **fields)[0]

    def _progress(self, done, total):
        # Progress on stderr, rewritten in place on a terminal; stdout keeps only the summary.
        if sys.stderr.isatty():
            self.stderr.write(f"\rSaving: {done}/{total}", ending="")
        elif self.verbosity >= 2 and (done == total or done % 100 == 0):
            self.stderr.write(f"Saving: {done}/{total}")

    def _end_progress(self):
        if sys.stderr.isatty():
            self.stderr.write("\r" + " " * 40 + "\r", ending="")
