"""Benchmark the partner API against a hand-written floor and a plain DRF peer, and time a
1,000,000-row export.

    EVACTRACK_VAR_DIR=/tmp/evt-bench python manage.py bench_api

Builds (once) a synthetic tree of 30,000 settlements and 1,000,000 incidents in the configured
database, serves the app with gunicorn on 127.0.0.1 (benchmarks.wsgi), and measures for a fixed
time each: the areas list (/api/v1/areas/?level=settlement&limit=100), the incidents list
(/api/v1/incidents/?within=UA63&limit=100), the floor (benchmarks.floor: the areas page's rows
through .values() and orjson) and the peer of each list (benchmarks.peer: ModelViewSet,
ModelSerializer, FilterSet), and a page of 1,000 incident entries of the change feed
(/api/v1/changes/, one entry per incident) against its own floor, in rounds in which the seven
take turns. Prints each list's median
time per request and, round by round, its ratio to the floor and its speedup over the peer;
then streams the CSV export of every incident and reports rows/s and the worker's peak memory
(RSS). Only loopback traffic; every loop is bounded by time or count."""

import contextlib
import datetime
import http.client
import os
import random
import socket
import subprocess
import sys
import threading
import time
import uuid
from statistics import median

import orjson
import psutil
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.db.models import Max, Min

from evactrack.access.choices import Role
from evactrack.access.models import Organization
from evactrack.access.services import membership_set, token_issue
from locations.models import Area
from reports.choices import ChangeType
from reports.models import Change, Citation, Incident
from reports.selectors import EVERYONE, NOBODY
from reports.services import changes_record, changes_stamp, oblast_and_raion_ids, source_upsert

BENCH_ORG = "bench-org"
OBLASTS = ["UA63", "UA23", "UA14", "UA65", "UA59"]
RAIONS, HROMADAS, SETTLEMENTS = 6, 20, 50  # per parent: 5 × 6 × 20 × 50 = 30,000 settlements
TYPES = ["shelling", "air_drone_strike", "missile_strike", "attack_on_civilians", "other"]
QUICK = {"incidents": 5_000, "seconds": 3.0, "rounds": 3, "clients": 2}


class Command(BaseCommand):
    help = "Benchmark the partner API against a floor and a plain DRF peer, and a 1M-row CSV export."

    def add_arguments(self, parser):
        parser.add_argument("--incidents", type=int, default=1_000_000)
        parser.add_argument("--seconds", type=float, default=10.0, help="Measuring time per endpoint, all rounds.")
        parser.add_argument("--rounds", type=int, default=5, help="Rounds in which the endpoints take turns.")
        parser.add_argument("--clients", type=int, default=4, help="Concurrent client connections.")
        parser.add_argument("--workers", type=int, default=1, help="gunicorn worker processes.")
        parser.add_argument("--port", type=int, default=0, help="0: any free port.")
        parser.add_argument("--skip-export", action="store_true")
        parser.add_argument(
            "--quick",
            action="store_true",
            help=f"{QUICK['incidents']:,} incidents, {QUICK['seconds']:.0f} s of requests: checks the benchmark runs.",
        )

    def handle(self, *args, quick, **options):
        self._bench(**{**options, **(QUICK if quick else {})})

    def _bench(self, *, incidents, seconds, rounds, clients, workers, port, skip_export, **options):
        started = time.monotonic()
        call_command("migrate", verbosity=0)
        self._build_tree()
        self._build_incidents(incidents)
        self._build_citations()
        after = self._build_changes()
        raw_key = self._token()
        # Planner statistics, as a production database has them (PostgreSQL's autovacuum; on
        # SQLite the nightly refresh_planner_statistics).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        port = port or _free_port()
        server = self._serve(port, workers)
        try:
            targets = {
                "areas": "/api/v1/areas/?level=settlement&limit=100",
                "incidents": "/api/v1/incidents/?within=UA63&limit=100",
                "floor": "/bench/floor/",
                "areas_peer": "/bench/peer/areas/?level=settlement&limit=100",
                "incidents_peer": "/bench/peer/incidents/?within=UA63&limit=100",
                # A page of 1,000 entries from the middle of the feed, as a partner catching up reads it.
                "changes": f"/api/v1/changes/?after={after}&limit=1000&types=incident",
                "changes_floor": f"/bench/floor/changes/?after={after}",
            }
            floors = ("floor", "changes_floor")
            headers = {name: {} if name in floors else {"Authorization": f"Bearer {raw_key}"} for name in targets}
            pages = {name: _get(port, url, headers[name]) for name, url in targets.items()}  # warm-up
            _same_rows(pages)
            # Short windows, the endpoints taking turns (each round starting with the next one):
            # a machine's speed can drift within minutes, and one long window per endpoint
            # would compare an endpoint measured in a fast minute with a floor measured in a
            # slow one. Each round's ratio compares windows seconds apart.
            rates = {name: [] for name in targets}
            names = list(targets)
            for round_ in range(rounds):
                start = round_ % len(names)
                for name in names[start:] + names[:start]:
                    rates[name].append(
                        _measure(port, targets[name], headers[name], seconds=seconds / rounds, clients=clients)
                    )
            # A worker serves one request at a time: its time per request is workers ÷ rate.
            ms = {name: [1000 * workers / rate for rate in values] for name, values in rates.items()}
            self._report(targets, ms, rounds=rounds, clients=clients, workers=workers)
            if not skip_export:
                rows, elapsed, peak = _export(port, raw_key, server)
                self.stdout.write(
                    f"export: {rows:,} rows in {elapsed:.1f} s = {rows / elapsed:,.0f} rows/s; "
                    f"worker peak RSS {peak / 2**20:.0f} MB"
                )
        finally:
            server.terminate()
            try:
                server.wait(10)
            except subprocess.TimeoutExpired:
                server.kill()
        self.stdout.write(f"bench_api done in {time.monotonic() - started:.0f} s ({connection.vendor}).")

    def _report(self, targets, ms, *, rounds, clients, workers):
        self.stdout.write(
            f"{connection.vendor}, {Incident.objects.count():,} incidents; {rounds} rounds, {clients} clients, "
            f"{workers} worker(s); ms of worker time per request, median of the rounds (range)"
        )
        self.stdout.write(f"  floor      {median(ms['floor']):7.2f} ms  {targets['floor']}  (the areas page's rows)")
        for name in ("areas", "incidents"):
            peer = f"{name}_peer"
            to_floor = [real / floor for real, floor in zip(ms[name], ms["floor"], strict=True)]
            speedup = [other / real for real, other in zip(ms[name], ms[peer], strict=True)]
            self.stdout.write(
                f"  {name:<10} {median(ms[name]):7.2f} ms  {targets[name]}\n"
                f"  {'peer':<10} {median(ms[peer]):7.2f} ms  {targets[peer]}\n"
                f"  {name}: real/floor {_ratio(to_floor)}; real/peer: {_ratio(speedup)} faster than the peer"
            )
        to_floor = [real / floor for real, floor in zip(ms["changes"], ms["changes_floor"], strict=True)]
        self.stdout.write(
            f"  changes    {median(ms['changes']):7.2f} ms  {targets['changes']}\n"
            f"  its floor  {median(ms['changes_floor']):7.2f} ms  {targets['changes_floor']}\n"
            f"  changes: real/floor {_ratio(to_floor)}"
        )

    # --- data -------------------------------------------------------------------------------

    def _build_tree(self):
        if Area.objects.filter(level="settlement", code__startswith="UA63").exists():
            return
        self.stdout.write("Building 30,000 settlements…")
        now = datetime.datetime.now(datetime.UTC)
        country = Area.objects.filter(code="UA").first()
        if country is None:
            country = Area.objects.create(
                code="UA", level="country", category="country", path="UA/", name_uk="Україна", name_en="Ukraine"
            )
        rnd = random.Random(5)

        def area(code, level, category, parent):
            return Area(
                code=code.ljust(19, "0"), pcode=code, level=level, category=category,
                path=f"{parent.path}{code.ljust(19, '0')}/", parent_id=parent.pk, name_uk=f"Село {code}",
                name_en=f"Selo {code}", latitude=47 + rnd.random() * 4, longitude=30 + rnd.random() * 8,
                created_at=now, updated_at=now,
            )  # fmt: skip

        # Level by level, so each level's rows can point at their saved parents. Numbers start
        # at 1, so no code of one level is the zero-padded code of another.
        plan = [("oblast", "oblast", 1, 0), ("raion", "raion", RAIONS, 2), ("hromada", "hromada", HROMADAS, 3),
                ("settlement", "village", SETTLEMENTS, 3)]  # fmt: skip
        parents = [(country, prefix) for prefix in OBLASTS]
        for level, category, count, digits in plan:
            rows = []
            for parent, code in parents:
                for number in range(1, count + 1):
                    child_code = code + (f"{number:0{digits}d}" if digits else "")
                    rows.append((area(child_code, level, category, parent), child_code))
            Area.objects.bulk_create([row for row, _code in rows], batch_size=2000)
            saved = {a.code: a for a in Area.objects.filter(level=level)}
            parents = [(saved[row.code], code) for row, code in rows]
        self.stdout.write(f"  {Area.objects.filter(level='settlement').count():,} settlements")

    def _build_incidents(self, wanted):
        have = Incident.objects.count()
        if have >= wanted:
            return
        self.stdout.write(f"Building {wanted - have:,} incidents…")
        settlements = list(Area.objects.filter(level="settlement").values_list("pk", "path"))
        # With what the services would set: each incident's oblast and raion (Incident.oblast).
        located = oblast_and_raion_ids(path for _pk, path in settlements)
        places = [{"area_id": pk, **located[path]} for pk, path in settlements]
        org, _ = Organization.objects.get_or_create(slug=BENCH_ORG, defaults={"name": "Bench NGO", "kind": "ngo"})
        now = datetime.datetime.now(datetime.UTC)
        start = datetime.date(2022, 2, 24)
        batch = 20_000
        done = have
        while done < wanted:
            size = min(batch, wanted - done)
            with transaction.atomic():
                Incident.objects.bulk_create(
                    [
                        Incident(
                            uid=uuid.uuid4(),
                            summary="Synthetic incident.",
                            incident_type=random.choice(TYPES),
                            occurred_on=start + datetime.timedelta(days=random.randrange(1000)),
                            **place,
                            fatalities=killed,
                            fatalities_qualifier="" if killed is None else "exact",
                            reporting_organization=org,
                            verification_state="verified",
                            verified_at=now,
                            created_at=now,
                            updated_at=now,
                        )
                        for killed, place in zip(
                            random.choices([None, 0, 1, 2], k=size), random.choices(places, k=size), strict=True
                        )
                    ],
                    batch_size=5000,
                )
            done += size
            self.stdout.write(f"  {done:,} / {wanted:,}", ending="\r")
            self.stdout.flush()
        self.stdout.write("")

    def _build_citations(self):
        """One citation per incident, as the services require of real ones: a page then shows
        (and the list query reads) a source for every row."""
        source, _created = source_upsert(slug="bench-wire", title="Synthetic wire", publisher="Bench")
        with connection.cursor() as cursor, transaction.atomic():
            cursor.execute(
                f"""INSERT INTO {Citation._meta.db_table} (locator, note, incident_id, source_id)
                SELECT '¶1', '', i.id, %s FROM {Incident._meta.db_table} i
                WHERE NOT EXISTS (SELECT 1 FROM {Citation._meta.db_table} c WHERE c.incident_id = i.id)""",
                [source.pk],
            )
            if cursor.rowcount:
                self.stdout.write(f"  {cursor.rowcount:,} citations")

    def _build_changes(self) -> int:
        """The feed's entries for the incidents, as the services write them (one per created
        incident, stamped in id order); returns the seq in the middle of them, where the
        benchmark's page starts."""
        entries = Change.objects.filter(type=ChangeType.INCIDENT)
        if not entries.exists():
            uids = Incident.objects.order_by("id").values_list("uid", flat=True)
            batch = []
            for uid in uids.iterator(chunk_size=50_000):
                batch.append((uid, NOBODY, EVERYONE))
                if len(batch) == 50_000:
                    with transaction.atomic():
                        changes_record(type=ChangeType.INCIDENT, changes=batch)
                    batch = []
            with transaction.atomic():
                changes_record(type=ChangeType.INCIDENT, changes=batch)
            self.stdout.write(f"  {changes_stamp():,} change entries")
        low, high = entries.aggregate(low=Min("seq"), high=Max("seq")).values()
        return (low + high) // 2

    def _token(self) -> str:
        user, _ = get_user_model().objects.get_or_create(username="bench-client")
        org = Organization.objects.get(slug=BENCH_ORG)
        membership_set(user=user, organization=org, role=Role.COORDINATOR)
        _token, raw_key = token_issue(user=user, name="benchmark")
        return raw_key

    def _serve(self, port, workers):
        env = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or "bench-only-secret-key",
            "EVACTRACK_API_RATE": "100000000/minute",
            "LOG_LEVEL": "WARNING",
        }
        command = [
            sys.executable, "-m", "gunicorn", "benchmarks.wsgi:application", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers), "--worker-class", "sync", "--timeout", "600", "--log-level", "warning",
        ]  # fmt: skip
        server = subprocess.Popen(command, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                return server
            except OSError:
                time.sleep(0.2)
        server.kill()
        raise RuntimeError("gunicorn did not start")


def _ratio(values: list[float]) -> str:
    return f"{median(values):.2f}× ({min(values):.2f}–{max(values):.2f})"


def _same_rows(pages: dict[str, bytes]) -> None:
    """The peer must show the rows the real list shows, or the comparison means nothing."""
    for name, other, key in (("areas", "areas_peer", "code"), ("incidents", "incidents_peer", "uid"),
                             ("changes", "changes_floor", "uid")):  # fmt: skip
        real, peer = ([row[key] for row in orjson.loads(pages[n])["results"]] for n in (name, other))
        if real != peer or not real:
            raise RuntimeError(f"{name}: {other}'s first page differs from the API's ({len(real)}, {len(peer)} rows)")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(port, url, headers) -> bytes:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", url, headers=headers)
        response = conn.getresponse()
        body = response.read()
        if response.status != 200:
            raise RuntimeError(f"{url}: {response.status} {body[:300]!r}")
        return body
    finally:
        conn.close()


def _measure(port, url, headers, *, seconds, clients) -> float:
    """Requests/s over `seconds` with `clients` concurrent connections (a new one per request:
    gunicorn's sync worker closes each)."""
    counts = [0] * clients
    stop = time.monotonic() + seconds

    def run(index):
        while time.monotonic() < stop:
            _get(port, url, headers)
            counts[index] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=run, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(seconds + 120)
    return sum(counts) / (time.monotonic() - started)


def _export(port, raw_key, server) -> tuple[int, float, int]:
    """Stream the whole CSV export; count rows; sample the workers' RSS every 50 ms."""
    workers = psutil.Process(server.pid).children(recursive=True)
    peak = 0
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            for worker in workers:
                with contextlib.suppress(psutil.NoSuchProcess):
                    peak = max(peak, worker.memory_info().rss)
            time.sleep(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    started = time.monotonic()
    try:
        conn.request("GET", "/api/v1/incidents/export/?format=csv", headers={"Authorization": f"Bearer {raw_key}"})
        response = conn.getresponse()
        if response.status != 200:
            raise RuntimeError(f"export: {response.status} {response.read(300)!r}")
        lines = 0
        while chunk := response.read(1 << 20):
            lines += chunk.count(b"\n")
        elapsed = time.monotonic() - started
    finally:
        conn.close()
        done.set()
        sampler.join(5)
    return lines - 2, elapsed, peak  # minus the header and the HXL hashtag row
