"""`python manage.py bench_gazetteer` — the gazetteer's numbers, measured on the current database.

1. a full import of the committed data file (run it on an empty database for the first-import
   figure; on a loaded one it measures a re-import), then a second import whose database writes
   are counted statement by statement (it must write none);
2. the resolver over the evaluation set (locations/data/eval_spellings.csv): median and 95th
   percentile milliseconds per lookup, wall clock and CPU, and top-1 accuracy per origin:
   `handwritten` (news and Russian-based spellings written by hand), `holdout_variant`
   (GeoNames spellings withheld from the aliases that are variants of the official name) and
   `holdout_other` (withheld exonyms and former names: reported, not a target);
3. the same lookups through the resolve endpoint (`POST /api/v1/areas/resolve/`): the same
   answers, candidate for candidate, and the same accuracy;
4. names carried only by villages, five or more of them, asked without context: each must come
   back "ambiguous", never a confident pick.

The held-out variants are also reported in two halves by a hash of the row: "dev", whose
failures were looked at while tuning the resolver, and "test", which was only counted. With
--leave-one-out, the stored GeoNames variants of the same places are withheld one at a time
(in a transaction rolled back) and looked up: a larger set, but the one the resolver's rules
were tuned on.
"""

import csv
import os
import statistics
import time
import zlib
from collections import Counter, defaultdict

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count, Q
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from evactrack.access.choices import Role
from evactrack.access.services import membership_set, organization_upsert, token_issue
from locations import gazetteer
from locations.api.serializers import RESOLVE_BATCH_MAX
from locations.models import Area, AreaAlias
from locations.names import is_cyrillic
from locations.resolver import AMBIGUOUS, RESOLVED, resolve
from locations.services import gazetteer_import

TARGET_ORIGINS = ("handwritten", "holdout_variant")
WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "COPY")
QUICK_EVERY = 5


def _half(row: dict) -> str:
    """Which half of the held-out rows a row is in: a hash, so a rebuild keeps the split."""
    return "dev" if zlib.crc32(f"{row['text']}|{row['code']}".encode()) % 2 == 0 else "test"


def _outcome(result, expected_code: str) -> str:
    if result.outcome == RESOLVED:
        return "right" if result.area.code == expected_code else "wrong"
    if result.is_ambiguous and _among_equals(result, expected_code):
        # The text and its context cannot tell these places apart (two villages of one name
        # and kind in the oblast): "ambiguous" is the right answer.
        return "ambiguous among equals"
    return result.outcome


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
        parser.add_argument(
            "--leave-one-out",
            action="store_true",
            help="Also look up each stored GeoNames variant spelling with it withheld (about 40 s).",
        )
        parser.add_argument(
            "--quick",
            action="store_true",
            help=f"Only the counted re-import, and every {QUICK_EVERY}th spelling: checks the benchmark runs.",
        )

    def handle(self, *args, skip_import=False, failures=40, leave_one_out=False, quick=False, **options):
        out = self.stdout.write
        self.quick = quick
        out(f"Database: {connection.vendor}; load average {' '.join(f'{v:.1f}' for v in os.getloadavg())}")
        if not skip_import:
            self._imports(out)
        self._resolver(out, failures)
        if leave_one_out:
            self._leave_one_out(out)
        self._ambiguity(out)

    def _imports(self, out):
        records = gazetteer.records_read()
        if not self.quick:
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
        if self.quick:
            rows = rows[::QUICK_EVERY]
        resolve("warm-up")  # the first query pays for connection setup and statement caches
        walls, cpus = [], []
        right, right_or_honest, total = Counter(), Counter(), Counter()
        outcomes = defaultdict(Counter)
        halves = defaultdict(Counter)
        missed = defaultdict(list)
        answers = []
        for row in rows:
            wall, cpu = time.perf_counter(), time.process_time()
            result = resolve(row["text"], within=row["within"] or None)
            walls.append((time.perf_counter() - wall) * 1000)
            cpus.append((time.process_time() - cpu) * 1000)
            answers.append((result.outcome, [c.area.code for c in result.candidates]))
            origin = row["origin"]
            outcome = _outcome(result, row["code"])
            total[origin] += 1
            outcomes[origin][outcome] += 1
            right[origin] += outcome == "right"
            right_or_honest[origin] += outcome in ("right", "ambiguous among equals")
            half = _half(row) if origin.startswith("holdout") else ""
            halves[origin][half, "total"] += 1
            halves[origin][half, "right"] += outcome == "right"
            if outcome not in ("right", "ambiguous among equals"):
                best = ", ".join(f"{c.area.name_en} {c.area.code} {c.score:.2f}" for c in result.candidates[:2])
                missed[origin].append(
                    f"{f'({half}) ' if half else ''}{row['text']!r} → {result.outcome} [{best}] "
                    f"expected {row['code']} {row['note']}"
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
            if origin.startswith("holdout"):
                split = ", ".join(
                    f"{half} {halves[origin][half, 'right']}/{halves[origin][half, 'total']} = "
                    f"{halves[origin][half, 'right'] / halves[origin][half, 'total']:.1%}"
                    for half in ("dev", "test")
                    if halves[origin][half, "total"]
                )
                out(f"    top-1 by half (dev: failures looked at while tuning; test: only counted): {split}")
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
        self._endpoint(out, rows, answers)

    def _endpoint(self, out, rows, answers):
        """The same lookups through `POST /api/v1/areas/resolve/` (in-process, batches of the
        endpoint's maximum), as a viewer: its answers must be the resolver's, candidate for
        candidate. The caller's rows are rolled back."""
        expected_top = [(row["code"], row["origin"]) for row in rows]
        agree, right, targets = 0, 0, 0
        wall = time.perf_counter()
        with transaction.atomic():
            organization, _created = organization_upsert(slug="bench-resolve", name="bench", kind="ngo")
            user = get_user_model().objects.create_user(username="bench-resolve")
            membership_set(user=user, organization=organization, role=Role.VIEWER)
            _token, raw_key = token_issue(user=user, name="bench")
            client = APIClient(HTTP_AUTHORIZATION=f"Bearer {raw_key}")
            for start in range(0, len(rows), RESOLVE_BATCH_MAX):
                batch = rows[start : start + RESOLVE_BATCH_MAX]
                items = [{"q": row["text"], **({"within": row["within"]} if row["within"] else {})} for row in batch]
                response = client.post("/api/v1/areas/resolve/", items, format="json")
                if response.status_code != 200:
                    raise CommandError(f"resolve endpoint answered {response.status_code}: {response.content[:300]!r}")
                for offset, result in enumerate(response.json()["results"]):
                    index = start + offset
                    got = (result["outcome"], [c["code"] for c in result["candidates"]])
                    agree += got == answers[index]
                    code, origin = expected_top[index]
                    if origin in TARGET_ORIGINS:
                        targets += 1
                        right += got[0] == RESOLVED and got[1][0] == code
            transaction.set_rollback(True)
        seconds = time.perf_counter() - wall
        resolver_right = sum(
            answer[0] == RESOLVED and answer[1][0] == code
            for answer, (code, origin) in zip(answers, expected_top, strict=True)
            if origin in TARGET_ORIGINS
        )
        out(
            f"Resolve endpoint (POST, batches of {RESOLVE_BATCH_MAX:,}): {len(rows)} lookups in {seconds:.1f} s; "
            f"same answer as the resolver {agree}/{len(rows)}; variant spellings top-1 endpoint "
            f"{right / max(targets, 1):.1%}, resolver {resolver_right / max(targets, 1):.1%}"
        )

    def _leave_one_out(self, out):
        """The stored GeoNames variants, each withheld in turn, looked up in its oblast.

        Drawn like the held-out rows (Latin script, a variant of the official name), from the
        nine in ten alternates the build kept; every other spelling of the place stays, as for a
        held-out one. Places of EVAL_MIN_POPULATION or more, as evaluated: the set the resolver's
        reading rules and fuzzy weights were tuned on. Smaller places apart: not looked at.
        """
        oblasts = {
            code[:4]: code
            for code in Area.objects.filter(parent__code=gazetteer.COUNTRY_CODE).values_list("code", flat=True)
        }
        aliases = (
            AreaAlias.objects.filter(kind="geonames")
            .values_list("name", "normalized", "area_id", "area__code", "area__name_en", "area__population")
            .order_by("id")
        )
        outcomes = defaultdict(Counter)
        wall = time.perf_counter()
        for name, normalized, area_id, code, name_en, population in aliases:
            if is_cyrillic(name) or not gazetteer.is_variant_spelling(name, name_en):
                continue
            tuned = (population or 0) >= gazetteer.EVAL_MIN_POPULATION
            with transaction.atomic():
                AreaAlias.objects.filter(area_id=area_id, normalized=normalized).exclude(
                    kind__in=("official_uk", "official_en")
                ).delete()
                outcomes[tuned][_outcome(resolve(name, within=oblasts[code[:4]]), code)] += 1
                transaction.set_rollback(True)
        seconds = time.perf_counter() - wall
        out(f"Leave-one-out: stored GeoNames variant spellings withheld one at a time ({seconds:.0f} s)")
        for tuned, label in (
            (True, f"places of {gazetteer.EVAL_MIN_POPULATION:,}+ (tuned on)"),
            (False, "smaller places (not looked at)"),
        ):
            counts = outcomes[tuned]
            looked_up = sum(counts.values())
            if looked_up:
                detail = ", ".join(f"{name} {count}" for name, count in sorted(counts.items()))
                out(f"  {label}: {looked_up} spellings, top-1 {counts['right'] / looked_up:.1%} ({detail})")

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
