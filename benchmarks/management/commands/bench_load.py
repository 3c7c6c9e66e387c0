"""`manage.py bench_load --clients 16 --seconds 60`: the whole system under concurrent partners.

Builds an installation of its own (benchmarks.load: a temporary folder; on PostgreSQL when
DATABASE_URL points at it, a throwaway database there, with REDIS_URL as broker and cache when
set; else the embedded SQLite + folder queue), starts gunicorn (two workers), a Celery worker
and beat, then runs N clients for the given time. Each cycles through reads of areas under
UA63, incidents `?within=UA63`, area status endpoints, and one write in ten: an incident with an
Idempotency-Key (every fifth sent twice, the retry must replay). It prints throughput, p50/p95/
p99 overall and per kind, and errors; then, once the writes are in, the oracle's verdict
(`status_verify`: areas differing from a fresh every-area recompute, dirty marks left).

Exits 1 on any error or any area differing. `--quick` is `--clients 4 --seconds 5`, for CI.
"""

import shutil
import time

from django.core.management.base import BaseCommand, CommandError

from benchmarks.load import Clients, Installation, settlements_under

# Reads go under Kharkiv oblast (the seeded facts and bench_api's `within=UA63`); writes land on
# its settlements too, so the statuses the readers ask for move under them.
WITHIN = "UA63"
# After the load stops, the worker gets this long to bring every status in line (the sweep runs
# every 30 s; a recompute of the written areas takes well under a second).
SETTLE_SECONDS = 120


class Command(BaseCommand):
    help = "Load an installation of its own with N concurrent clients; throughput, percentiles, the oracle."
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("--clients", type=int, default=16)
        parser.add_argument("--seconds", type=float, default=60)
        parser.add_argument("--quick", action="store_true", help="4 clients for 5 s: CI's check that it works.")
        parser.add_argument("--keep", action="store_true", help="Keep the installation's folder (logs).")

    def handle(self, *args, clients, seconds, quick, keep, **options):
        if quick:
            clients, seconds = 4, 5
        installation = Installation.from_environment()
        self.stdout.write(f"bench_load on {installation.label}, folder {installation.directory}")
        started = time.monotonic()
        try:
            installation.set_up(progress=lambda step: self.stdout.write(f"  setting up: {step}"))
            installation.start()
            setup = time.monotonic() - started
            self.stdout.write(f"  installation up in {setup:.0f} s; {clients} clients for {seconds:g} s")
            areas = settlements_under(installation.base_url, installation.token, WITHIN)
            load = Clients(installation.base_url, installation.token, count=clients, seconds=seconds,
                           areas=areas, within=WITHIN).run()  # fmt: skip
            summary = load.summary()
            self._print(summary)
            verdict = installation.verdict(wait=SETTLE_SECONDS)
            dead = installation.dead()
        finally:
            installation.tear_down()
            if not keep:
                shutil.rmtree(installation.directory, ignore_errors=True)
        self.stdout.write(
            f"oracle: {verdict['differing']} of {verdict['areas']} areas differ from a fresh every-area recompute, "
            f"{verdict['dirty']} dirty marks left (settled after {verdict['seconds']} s)"
        )
        self.stdout.write(
            f"bench_load: {summary['all']['requests']} requests in {summary['seconds']} s, "
            f"{summary['throughput']} req/s, {summary['errors']} errors, {verdict['differing']} areas differing; "
            f"total {time.monotonic() - started:.0f} s"
        )
        if dead:
            raise CommandError(f"processes died during the load: {', '.join(dead)}")
        if summary["errors"] or verdict["differing"] or verdict["dirty"]:
            raise CommandError("errors under load, or statuses that did not settle (above)")

    def _print(self, summary: dict) -> None:
        self.stdout.write(f"{'kind':<10} {'requests':>9} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8}")
        for kind, figures in [("all", summary["all"]), *summary["kinds"].items()]:
            if figures["requests"]:
                self.stdout.write(
                    f"{kind:<10} {figures['requests']:>9} {figures['p50']:>8} {figures['p95']:>8} "
                    f"{figures['p99']:>8} {figures['max']:>8}"
                )
        self.stdout.write(f"throughput {summary['throughput']} req/s; errors {summary['errors']}")
        for example in summary["error_examples"]:
            self.stdout.write(f"  error: {example}")
