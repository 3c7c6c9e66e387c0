"""`python manage.py bench_gazetteer` — the gazetteer's numbers, measured on the current database.

1. a full import of the committed data file (run it on an empty database for the first-import
   figure; on a loaded one it measures a re-import), then a second import whose database writes
   are counted statement by statement (it must write none);
2. the resolver over the evaluation set (locations/data/eval_spellings.csv): median and 95th
   percentile milliseconds per lookup, wall clock and CPU, and top-1 accuracy per origin:
   `handwritten` (news and Russian-based spellings written by hand), `holdout_variant`
   (GeoNames spellings withheld from the aliases that are variants of the official name) and
   `holdout_other` (withheld exonyms and former names: reported, not a target);
3. names carried only by villages, five or more of them, asked without context: each must come
   back "ambiguous", never a confident pick.
"""

import csv
import os
import statistics
import time
from collections import Counter, defaultdict

from django.core.management.base import BaseCommand
from django.db import connection
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext

from locations import gazetteer
from locations.models import Area
from locations.resolver import AMBIGUOUS, resolve
from locations.services import gazetteer_import

TARGET_ORIGINS = ("handwritten", "holdout_variant")
WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "COPY")


def _among_equals(result, expected_code: str) -> bool:
    """The expected area is a candidate and another candidate has its official name and kind."""
    expected = next((c.area for c in result.candidates if c.area.code == expected_code), None)
    return expected is not None and any(
        c.area.code != expected_code and c.area.name_uk == expected.name_uk and c.area.category == expected.category
        for c in result.candidates
    )


class Command(BaseCommand):
    help = "Measure the gazetteer: import time, idempotency, resolver speed and accuracy."

    def add_arguments(self, parser):
        parser.add_argument("--skip-import", action="store_true", help="Only measure the resolver.")
        parser.add_argument("--failures", type=int, default=40, help="How many failures to list (default 40).")

    def handle(self, *args, skip_import=False, failures=40, **options):
        out = self.stdout.write
        out(f"Database: {connection.vendor}; load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
        if not skip_import:
            self._imports(out)
        self._resolver(out, failures)
        self._ambiguity(out)

    def _imports(self, out):
        records = gazetteer.records_read()
        wall, cpu = time.perf_counter(), time.process_time()
        first = gazetteer_import(records=records)
        out(
            f"Import 1: {first.line()} wall {time.perf_counter() - wall:.1f} s, "
            f"CPU {time.process_time() - cpu:.1f} s ({len(records)} records)"
        )
        wall, cpu = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            second = gazetteer_import(records=records)
        written = [q for q in queries.captured_queries if q["sql"].lstrip().split(None, 1)[0].upper() in WRITE_VERBS]
        out(
            f"Import 2: {second.line()} wall {time.perf_counter() - wall:.1f} s, "
            f"CPU {time.process_time() - cpu:.1f} s; write statements: {len(written)}"
        )

    def _resolver(self, out, failures):
        with gazetteer.EVAL_FILE.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
        resolve("warm-up")  # the first query pays for connection setup and statement caches
        walls, cpus = [], []
        right, right_or_honest, total = Counter(), Counter(), Counter()
        outcomes = defaultdict(Counter)
        missed = defaultdict(list)
        for row in rows:
            wall, cpu = time.perf_counter(), time.process_time()
            result = resolve(row["text"], within=row["within"] or None)
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            origin = row["origin"]
            total[origin] += 1
            if result.area is not None and result.area.code == row["code"]:
                right[origin] += 1
                right_or_honest[origin] += 1
                outcomes[origin]["right"] += 1
            elif result.is_ambiguous and _among_equals(result, row["code"]):
                # The text and its context cannot tell these places apart (two villages of
                # one name and kind in the oblast): "ambiguous" is the right answer.
                right_or_honest[origin] += 1
                outcomes[origin]["ambiguous among equals"] += 1
                continue
            else:
                outcomes[origin][result.outcome if result.area is None else "wrong"] += 1
                best = ", ".join(f"{c.area.name_en} {c.area.code} {c.score:.2f}" for c in result.candidates[:2])
                missed[origin].append(
                    f"{row['text']!r} → {result.outcome} [{best}] expected {row['code']} {row['note']}"
                )
        walls.sort()
        cpus.sort()
        out(
            f"Resolver: {len(rows)} lookups, median {statistics.median(walls):.2f} ms wall "
            f"({statistics.median(cpus):.2f} ms CPU), p95 {walls[int(len(walls) * 0.95)]:.2f} ms wall"
        )
        for origin in sorted(total):
            detail = ", ".join(f"{name} {count}" for name, count in sorted(outcomes[origin].items()))
            share = right[origin] / total[origin]
            honest = right_or_honest[origin] / total[origin]
            out(
                f"  {origin}: top-1 {right[origin]}/{total[origin]} = {share:.1%}; "
                f"right or honestly ambiguous {honest:.1%}"
            )
            out(f"    outcomes: {detail}")
        target_total = sum(total[o] for o in TARGET_ORIGINS)
        if target_total:
            strict = sum(right[o] for o in TARGET_ORIGINS) / target_total
            honest = sum(right_or_honest[o] for o in TARGET_ORIGINS) / target_total
            out(
                f"  variant spellings ({' + '.join(TARGET_ORIGINS)}, {target_total}): top-1 {strict:.1%}, "
                f"right or honestly ambiguous {honest:.1%}"
            )
        for origin in TARGET_ORIGINS:
            for line in missed[origin][:failures]:
                out(f"  failure [{origin}] {line}")

    def _ambiguity(self, out):
        """Names only villages carry, five or more times, none known to GeoNames: no ground to pick."""
        names = (
            Area.objects.filter(level="settlement")
            .values("name_uk")
            .annotate(
                places=Count("id"),
                larger=Count("id", filter=~Q(category="village") | Q(population__isnull=False)),
            )
            .filter(places__gte=5, larger=0)
            .order_by("-places", "name_uk")[:50]
        )
        names = [row["name_uk"] for row in names]
        if not names:
            return
        ambiguous = [name for name in names if resolve(name).outcome == AMBIGUOUS]
        confident = sorted(set(names) - set(ambiguous))
        out(
            f"Ambiguity: {len(ambiguous)}/{len(names)} village names shared by 5+ places came back ambiguous "
            f"without context{'; confident: ' + ', '.join(confident) if confident else ''}"
        )
