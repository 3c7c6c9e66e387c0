"""`python manage.py bench_status`: the status engine at national scale, on PostgreSQL.

Builds (once per database) the area tree — the whole gazetteer when `import_gazetteer` works,
else ~30,000 synthetic settlements in a realistic tree — plus 1,000,000 incidents over three
years, 3,000 orders covering ~20,000 settlements, designations and population counts. The
facts are bulk-inserted (COPY / bulk_create), bypassing the reports services: the services
validate one row at a time and would take hours; the engine only reads the tables, so what
it measures is the same. Then it reports, in one run: full recompute (cold and with nothing
changed), the SQL floor, incremental recompute after one new incident (through the service),
rows written by a no-change run, and the peak memory of the process.

Use a database of its own: DATABASE_URL=postgres://postgres@127.0.0.1:5432/evt_bench.
"""

import datetime
import os
import random
import resource
import statistics
import time
import uuid

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evactrack.status.services import (
    area_status_delete_all,
    policy_rules_active,
    status_recompute_dirty,
    status_recompute_full,
)
from locations.models import PATH_SEPARATOR, Area
from locations.services import area_upsert
from reports.choices import CountKind, OrderKind, OrderState, TargetScope, VerificationState
from reports.models import (
    ControlDesignation,
    EvacuationOrder,
    Incident,
    OrderTarget,
    PopulationCount,
    Source,
)
from reports.services import CitationInput, incident_create, source_upsert

INCIDENTS = 1_000_000
ORDERS = 3_000
YEARS_DAYS = 3 * 365
SYNTHETIC = {"oblasts": 24, "raions": 136, "hromadas": 1_470, "settlements": 30_000}
FRONT_SETTLEMENTS = 20_000
# --quick: the same measurements on a small synthetic country, a few seconds (CI runs it).
QUICK = {"incidents": 20_000, "orders": 100, "increments": 3, "synthetic": True}
QUICK_TREE = {"oblasts": 3, "raions": 9, "hromadas": 60, "settlements": 1_500}
INCIDENT_TYPES = [
    ("shelling", 50),
    ("air_drone_strike", 25),
    ("missile_strike", 10),
    ("armed_clash", 8),
    ("attack_on_civilians", 4),
    ("attack_on_health_facility", 2),
    ("other", 1),
]
STATES = [
    (VerificationState.VERIFIED, 60),
    (VerificationState.REPORTED, 30),
    (VerificationState.DISPUTED, 7),
    (VerificationState.REJECTED, 3),
]


def _weighted(pairs, rng, k):
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=k)


class Command(BaseCommand):
    help = "Benchmark the status engine on national-scale synthetic data (PostgreSQL only)."

    def add_arguments(self, parser):
        parser.add_argument("--incidents", type=int, default=INCIDENTS)
        parser.add_argument("--orders", type=int, default=ORDERS)
        parser.add_argument("--increments", type=int, default=25, help="Incremental runs to take the median of.")
        parser.add_argument("--synthetic", action="store_true", help="Synthesize the tree even if a gazetteer exists.")
        parser.add_argument("--seed", type=int, default=4)
        parser.add_argument(
            "--quick",
            action="store_true",
            help=f"A small synthetic country ({QUICK_TREE['settlements']:,} settlements, "
            f"{QUICK['incidents']:,} incidents): checks the benchmark runs, measures nothing worth publishing.",
        )

    def handle(self, *args, **options):
        if connection.vendor != "postgresql":
            raise CommandError("bench_status needs PostgreSQL: set DATABASE_URL to a database of its own.")
        if options["quick"]:
            options.update(QUICK)
        self.tree_size = QUICK_TREE if options["quick"] else SYNTHETIC
        self.front_size = min(FRONT_SETTLEMENTS, self.tree_size["settlements"] * 2 // 3)
        self.rng = random.Random(options["seed"])
        self.today = timezone.localdate()
        started = time.monotonic()
        call_command("migrate", verbosity=0)
        self._keep_messages_in_memory()
        settlements = self._tree(options["synthetic"])
        self._facts(settlements, options["incidents"], options["orders"])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(f"Data ready in {time.monotonic() - started:.0f} s. Measuring…")
        self._measure(settlements, options["increments"])

    # --- data -----------------------------------------------------------------------------

    def _keep_messages_in_memory(self):
        # The incremental runs create incidents through the service, which enqueues a task on
        # commit; the benchmark runs the recompute itself, so those messages go nowhere.
        from evactrack.celery import app

        app.conf.broker_url = "memory://"

    def _tree(self, synthetic: bool) -> list[tuple[int, str]]:
        def settlements():
            return list(Area.objects.filter(level="settlement").order_by("path").values_list("id", "path"))

        found = settlements()
        if len(found) >= self.front_size:
            self.stdout.write(f"Area tree present: {len(found)} settlements.")
            return found
        if not synthetic:
            try:
                self.stdout.write("Importing the gazetteer…")
                call_command("import_gazetteer", "--no-counts", verbosity=0)
                found = settlements()
            except Exception as error:  # noqa: BLE001 - any failure: fall back to a synthetic tree
                self.stdout.write(self.style.WARNING(f"Gazetteer import failed ({error}); synthesizing a tree."))
        if len(found) >= self.front_size:
            self.stdout.write(f"Gazetteer imported: {len(found)} settlements.")
            self.tree_kind = "gazetteer"
            return found
        self.stdout.write("Synthesizing the area tree…")
        country, _ = area_upsert(code="UA", name_uk="Україна", name_en="Ukraine", category="country")
        now = timezone.now()
        parents = [country]
        for level, category, count, digit in [
            ("oblast", "oblast", self.tree_size["oblasts"], 1),
            ("raion", "raion", self.tree_size["raions"], 2),
            ("hromada", "hromada", self.tree_size["hromadas"], 3),
            ("settlement", "village", self.tree_size["settlements"], 4),
        ]:
            rows = []
            for n in range(count):
                # Uneven fan-out, as in the codifier: some hromadas hold one village, some eighty.
                parent = parents[n % len(parents)] if level != "settlement" else self.rng.choice(parents)
                code = f"UA99{digit}{n:014d}"
                rows.append(
                    Area(
                        code=code,
                        level=level,
                        category=category,
                        parent=parent,
                        path=parent.path + code + PATH_SEPARATOR,
                        name_uk=f"Синтетичне {level} {n}",
                        name_en=f"Synthetic {level} {n}",
                        created_at=now,
                        updated_at=now,
                    )
                )
            parents = Area.objects.bulk_create(rows, batch_size=5000)
        return settlements()

    def _facts(self, settlements, incident_count, order_count):
        if Incident.objects.count() >= incident_count:
            self.stdout.write(f"Facts present: {Incident.objects.count()} incidents.")
            return
        rng, today = self.rng, self.today
        source, _ = source_upsert(slug="bench-synthetic", title="Synthetic benchmark data")
        del source  # facts are not cited: the benchmark bypasses the services on purpose
        now = timezone.now()
        hromadas = list(Area.objects.filter(level="hromada").values_list("id", "path"))
        rng.shuffle(hromadas)
        # The "front": hromadas whose settlements take most incidents and all the orders.
        settlement_ids_by_hromada = {}
        hromada_paths = {path: hid for hid, path in hromadas}
        for sid, path in settlements:
            parent_path = path[: path[:-1].rfind(PATH_SEPARATOR) + 1]
            settlement_ids_by_hromada.setdefault(hromada_paths.get(parent_path), []).append(sid)
        front, covered = [], []
        for hid, _path in hromadas:
            front.append(hid)
            covered += settlement_ids_by_hromada.get(hid, [])
            if len(covered) >= self.front_size:
                break
        all_ids = [sid for sid, _path in settlements]
        self.stdout.write(f"Inserting {incident_count:,} incidents with COPY…")
        self._copy_incidents(incident_count, covered, all_ids, now)
        self.stdout.write(f"Inserting {order_count:,} orders, designations and population counts…")
        orders, targets = [], []
        for n in range(order_count):
            start = today - datetime.timedelta(days=rng.randrange(YEARS_DAYS))
            state, lifted_on, until = OrderState.ACTIVE, None, None
            roll = rng.random()
            if roll < 0.3:
                lifted = start + datetime.timedelta(days=rng.randrange(30, 300))
                if lifted <= today:
                    state, lifted_on = OrderState.LIFTED, lifted
            elif roll < 0.6:
                until = start + datetime.timedelta(days=rng.randrange(30, 365))
                state = OrderState.EXPIRED if until < today else OrderState.ACTIVE
            orders.append(
                EvacuationOrder(
                    uid=uuid.uuid4(),
                    summary="Synthetic order.",
                    title=f"Synthetic order {n}",
                    issuing_authority=f"Synthetic military administration {n % 97}",
                    kind=OrderKind.MANDATORY if rng.random() < 0.5 else OrderKind.RECOMMENDED,
                    effective_from=start,
                    effective_until=until,
                    lifted_on=lifted_on,
                    state=state,
                    created_at=now,
                    updated_at=now,
                )
            )
        orders = EvacuationOrder.objects.bulk_create(orders, batch_size=1000)
        for n, order in enumerate(orders):
            if n < len(front):  # one subtree order per front hromada: ~20,000 settlements covered
                targets.append(OrderTarget(order=order, area_id=front[n], scope=TargetScope.SUBTREE))
            else:  # the rest overlap them, settlement by settlement
                for sid in rng.sample(covered, rng.randrange(1, 8)):
                    targets.append(OrderTarget(order=order, area_id=sid, scope=TargetScope.SINGLE))
        OrderTarget.objects.bulk_create(targets, batch_size=5000)
        designations = []
        for n, hid in enumerate(front[:300]):
            start = today - datetime.timedelta(days=rng.randrange(YEARS_DAYS))
            ended = n % 3 == 0
            designations.append(
                ControlDesignation(
                    uid=uuid.uuid4(),
                    summary="Synthetic designation.",
                    area_id=hid,
                    kind="occupied" if n % 2 else "active_hostilities",
                    valid_from=start,
                    valid_until=min(today, start + datetime.timedelta(days=120)) if ended else None,
                    valid_until_precision="day" if ended else "",
                    created_at=now,
                    updated_at=now,
                )
            )
        ControlDesignation.objects.bulk_create(designations)
        counts = []
        for sid in all_ids:
            if rng.random() < 0.9:
                total = int(rng.lognormvariate(6.5, 1.2))
                counts.append(self._count(sid, CountKind.BASELINE, datetime.date(2022, 1, 1), total, now))
        for sid in rng.sample(covered, len(covered) // 3):
            day = today - datetime.timedelta(days=rng.randrange(365))
            counts.append(self._count(sid, CountKind.PRESENT, day, int(rng.lognormvariate(5.5, 1.2)), now))
        PopulationCount.objects.bulk_create(counts, batch_size=5000)

    def _count(self, area_id, kind, day, total, now):
        children = total * 18 // 100 if self.rng.random() < 0.6 else None
        return PopulationCount(
            uid=uuid.uuid4(),
            summary="Synthetic count.",
            area_id=area_id,
            kind=kind,
            reference_date=day,
            total=total,
            total_qualifier="approximate",
            children=children,
            children_qualifier="approximate" if children is not None else "",
            method="estimate",
            created_at=now,
            updated_at=now,
        )

    def _copy_incidents(self, count, front_ids, all_ids, now):
        rng, today = self.rng, self.today
        fields = [f for f in Incident._meta.concrete_fields if not f.primary_key and not f.generated]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        defaults = {f.attname: f.get_default() for f in fields}
        types = _weighted(INCIDENT_TYPES, rng, 4096)
        states = _weighted(STATES, rng, 4096)
        copy_sql = f"COPY {Incident._meta.db_table} ({columns}) FROM STDIN"
        with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
            for n in range(count):
                state = states[n % 4096]
                killed = rng.randrange(3) if rng.random() < 0.2 else None
                row = dict(defaults)
                row.update(
                    uid=uuid.uuid4(),
                    summary="Synthetic incident.",
                    created_at=now,
                    updated_at=now,
                    incident_type=types[n % 4096],
                    occurred_on=today - datetime.timedelta(days=rng.randrange(YEARS_DAYS)),
                    area_id=rng.choice(front_ids) if rng.random() < 0.9 else rng.choice(all_ids),
                    fatalities=killed,
                    fatalities_qualifier="exact" if killed is not None else "",
                    verification_state=state,
                    verified_at=now if state != VerificationState.REPORTED else None,
                )
                copy.write_row([row[f.attname] for f in fields])
                if n and n % 200_000 == 0:
                    self.stdout.write(f"  {n:,} incidents")

    # --- measurements -----------------------------------------------------------------------

    def _timed(self, call):
        started, cpu_started = time.perf_counter(), time.process_time()
        with CaptureQueriesContext(connection) as queries:
            result = call()
        self.last_cpu_ms = (time.process_time() - cpu_started) * 1000
        return (time.perf_counter() - started) * 1000, len(queries.captured_queries), result

    def _measure(self, settlements, increments):
        from evactrack.status.models import StatusChange

        rules = policy_rules_active()
        area_status_delete_all()
        StatusChange.objects.all().delete()
        load_before = os.getloadavg()[0]
        cold_ms, cold_queries, cold = self._timed(lambda: status_recompute_full(every_area=True))
        cold_cpu_ms = self.last_cpu_ms

        def median_of_3(call):
            runs, cpu = [], []
            for _ in range(3):
                runs.append(self._timed(call))
                cpu.append(self.last_cpu_ms)
            return statistics.median(ms for ms, _q, _r in runs), statistics.median(cpu), runs[0]

        checked_ms, checked_cpu, (_ms, checked_queries, checked) = median_of_3(status_recompute_full)
        every_ms, every_cpu, (_ms, every_queries, every) = median_of_3(lambda: status_recompute_full(every_area=True))
        no_change_rows = checked.rows_written + every.rows_written
        # Tomorrow's run, rolled back: windows move, so the areas whose dates come are judged again.
        with transaction.atomic():
            tomorrow = self.today + datetime.timedelta(days=1)
            next_day_ms, next_day_queries, next_day = self._timed(lambda: status_recompute_full(as_of=tomorrow))
            next_day_cpu = self.last_cpu_ms
            transaction.set_rollback(True)
        floor_ms = statistics.median(self._floor(rules) for _ in range(3))

        source = Source.objects.get(slug="bench-synthetic")
        increment_ms, increment_queries = [], set()
        for n in range(increments):
            sid = self.rng.choice(settlements)[0]
            incident_create(
                citations=[CitationInput(source=source, locator=f"bench {n}")],
                area=Area.objects.get(pk=sid),
                incident_type="shelling",
                occurred_on=self.today,
                summary="Benchmark incident.",
            )
            ms, queries, _report = self._timed(status_recompute_dirty)
            increment_ms.append(ms)
            increment_queries.add(queries)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        counts = {
            "areas": Area.objects.count(),
            "settlements": len(settlements),
            "incidents": Incident.objects.count(),
            "orders": EvacuationOrder.objects.count(),
            "covered": self._covered_settlements(),
        }
        lines = [
            f"Data: {counts['areas']:,} areas ({counts['settlements']:,} settlements), "
            f"{counts['incidents']:,} incidents, {counts['orders']:,} orders covering "
            f"{counts['covered']:,} settlements; window {rules.window_days} d + hysteresis {rules.hysteresis_days} d.",
            f"Machine: {os.cpu_count()} CPUs, load average {load_before:.1f} before / "
            f"{os.getloadavg()[0]:.1f} after (other processes share the CPUs: wall times vary with it)",
            f"Full recompute, cold (every area judged, every row written): {cold_ms:,.0f} ms wall "
            f"({cold_cpu_ms:,.0f} ms CPU in this process), {cold_queries} queries + COPY, {cold.rows_written:,} rows, "
            f"{cold.changes_appended:,} history rows",
            f"Full recompute, nothing changed (median of 3): {checked_ms:,.0f} ms wall ({checked_cpu:,.0f} ms CPU), "
            f"{checked_queries} queries, {checked.areas_computed:,} areas judged",
            f"Full recompute, next day (rolled back): {next_day_ms:,.0f} ms wall ({next_day_cpu:,.0f} ms CPU), "
            f"{next_day_queries} queries, {next_day.areas_computed:,} areas judged, "
            f"{next_day.rows_written:,} rows written",
            f"Full recompute judging every area, nothing changed (the nightly run; median of 3): {every_ms:,.0f} ms "
            f"wall ({every_cpu:,.0f} ms CPU), {every_queries} queries",
            f"SQL floor (one GROUP BY over the same window, median of 3): {floor_ms:,.1f} ms",
            f"Ratio to the floor: full {checked_ms / floor_ms:.1f}× (nothing changed), "
            f"{next_day_ms / floor_ms:.1f}× (next day); every area judged {every_ms / floor_ms:.1f}× "
            f"(nothing changed), {cold_ms / floor_ms:.1f}× (cold)",
            f"Incremental after one new incident: median {statistics.median(increment_ms):.1f} ms "
            f"(min {min(increment_ms):.1f}, max {max(increment_ms):.1f}) over {increments} runs, "
            f"queries per run: {sorted(increment_queries)}",
            f"Rows written by a second run with no change: {no_change_rows}",
            f"Peak memory (ru_maxrss, whole process incl. data generation): {peak_mb:,.0f} MB",
        ]
        for line in lines:
            self.stdout.write(line)

    def _covered_settlements(self) -> int:
        """Settlements under some order target (subtree) or targeted themselves, counted once."""
        targets = OrderTarget.objects.values_list("area__path", "scope")
        subtree_paths = {path for path, scope in targets if scope == TargetScope.SUBTREE}
        single_paths = {path for path, scope in targets if scope == TargetScope.SINGLE}
        covered = 0
        for path in Area.objects.filter(level="settlement").values_list("path", flat=True).iterator():
            prefixes = {path[: index + 1] for index, char in enumerate(path) if char == PATH_SEPARATOR}
            covered += bool(prefixes & subtree_paths or path in single_paths)
        return covered

    def _floor(self, rules) -> float:
        """One hand-written statement: the same incidents, weighted, summed per settlement."""
        first_day = self.today - datetime.timedelta(days=rules.window_days - 1)
        cases = " ".join("WHEN %s THEN %s" for _ in rules.type_weights)
        params = [value for pair in rules.type_weights.items() for value in pair]
        states = ", ".join(["%s"] * len(rules.counted_states))
        sql = (
            f"SELECT i.area_id, count(*), sum(CASE i.incident_type {cases} ELSE 0 END "
            "+ %s * (coalesce(i.fatalities, 0) + coalesce(i.injured, 0))) "
            f"FROM {Incident._meta.db_table} i JOIN {Area._meta.db_table} a ON a.id = i.area_id "
            f"WHERE a.level = 'settlement' AND i.occurred_on BETWEEN %s AND %s AND i.verification_state IN ({states}) "
            "GROUP BY i.area_id"
        )
        started = time.perf_counter()
        with connection.cursor() as cursor:
            cursor.execute(sql, [*params, rules.casualty_weight, first_day, self.today, *sorted(rules.counted_states)])
            cursor.fetchall()
        return (time.perf_counter() - started) * 1000
