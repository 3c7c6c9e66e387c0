"""`manage.py status_verify`: is every stored status what a fresh every-area recompute says?

The oracle of the chaos suite and of `bench_load`. It judges every area with the engine the
workers use (load_and_evaluate + roll_up, as `status_recompute_full(every_area=True)` does),
compares each result's digest with the stored AreaStatus row the way `persist` does, and
writes nothing: the reads run in one transaction that is rolled back (on PostgreSQL a
repeatable-read snapshot, so a write committed meanwhile cannot make it see half a change).

Prints the number of areas differing and the dirty marks left; exits 1 when an area differs.
`--wait N` repeats until no area differs and no mark is left, for at most N seconds: what a
test or benchmark asks after its load stopped and the system settles.
"""

import json
import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone

from evactrack.status.compute import BLANK, BLANK_CHANGE_DIGEST, Scope, load_and_evaluate, roll_up
from evactrack.status.models import AreaStatus
from evactrack.status.services import policy_rules_active
from reports.models import DirtyArea

# Between two checks while waiting: a recompute of a handful of areas takes tens of milliseconds.
POLL_INTERVAL = 1.0
SHOWN_DIFFERENCES = 10


def verify() -> dict:
    """{"areas": judged, "differing": n, "dirty": marks left, "examples": [area codes]}; writes nothing."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        dirty = DirtyArea.objects.count()
        computation = load_and_evaluate(scope=Scope(), rules=policy_rules_active(), as_of=timezone.localdate())
        roll_up(computation)
        stored = dict(AreaStatus.objects.order_by().values_list("area_id", "digest"))
        transaction.set_rollback(True)
    differing = []
    for area_id, result in computation.results.items():
        digest, change_digest = result.digests()
        previous = stored.pop(area_id, None)
        if previous == digest:
            continue
        blank = change_digest == BLANK_CHANGE_DIGEST and result.figures == BLANK.figures and result.recheck_on is None
        if previous is None and blank:
            continue  # an absent row already says "normal, nothing known"
        differing.append(area_id)
    differing.extend(stored)  # rows of areas the tree no longer has
    shown = differing[:SHOWN_DIFFERENCES]
    codes = [computation.areas[area_id].code if area_id in computation.areas else str(area_id) for area_id in shown]
    return {"areas": len(computation.results), "differing": len(differing), "dirty": dirty, "examples": codes}


class Command(BaseCommand):
    help = "Compare every stored area status with a fresh every-area recompute (writes nothing)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--wait", type=float, default=0, metavar="SECONDS",
            help="Repeat until no area differs and no dirty mark is left, for at most this long.",
        )  # fmt: skip
        parser.add_argument("--json", dest="as_json", action="store_true", help="Print the verdict as one JSON line.")

    def handle(self, *args, wait, as_json, **options):
        started = time.monotonic()
        deadline = started + wait
        checks = 0
        while True:
            verdict = verify()
            checks += 1
            settled = verdict["differing"] == 0 and verdict["dirty"] == 0
            if settled or time.monotonic() + POLL_INTERVAL > deadline:
                break
            time.sleep(POLL_INTERVAL)
        verdict["seconds"] = round(time.monotonic() - started, 1)
        verdict["checks"] = checks
        if as_json:
            self.stdout.write(json.dumps(verdict, sort_keys=True))
        else:
            examples = f" (e.g. {', '.join(verdict['examples'])})" if verdict["examples"] else ""
            self.stdout.write(
                f"status_verify: {verdict['areas']} areas judged, {verdict['differing']} differing{examples}, "
                f"{verdict['dirty']} dirty marks left; {checks} checks in {verdict['seconds']} s."
            )
        if verdict["differing"]:
            raise CommandError(f"{verdict['differing']} areas differ from a fresh every-area recompute.")
