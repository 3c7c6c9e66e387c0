"""The status engine's writes: recompute dirty areas, recompute everything, rebuild the history.

Each runs under the single-flight lock in one transaction: a run that dies leaves nothing
half-written, and the dirty rows it claimed come back with the rollback.
"""

from __future__ import annotations

import datetime
import logging
import operator
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import reduce

from celery import current_app
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from evactrack.kernel.db import DatePrecision
from evactrack.status import fingerprint
from evactrack.status.choices import ChangeOrigin, RunKind, StatusLevel
from evactrack.status.compute import (
    BLANK,
    BLANK_CHANGE_DIGEST,
    Computation,
    Scope,
    load_and_evaluate,
    load_outside_children,
    persist,
    result_fields,
    roll_up,
    write_rows,
)
from evactrack.status.engine import AreaResult, PolicyRules, precision_last_day
from evactrack.status.locks import RECOMPUTE_LOCK, single_flight
from evactrack.status.models import AreaStatus, FullRunRequest, Policy, RecomputeRun, StatusChange
from locations.models import PATH_SEPARATOR, Area
from reports.choices import IncidentKind, OrderState, TargetScope
from reports.lifecycle import to_confirm_from
from reports.models import ControlDesignation, DirtyArea, EvacuationOrder, Incident, OrderTarget, PopulationCount
from reports.services import dirty_recompute_request_take, orders_expire_due

logger = logging.getLogger(__name__)

# Areas one incremental run takes; more are left for the next run, which the task enqueues at once.
DIRTY_BATCH = 20_000
# Marks one DELETE removes: two parameters each, within SQLite's cap of 32,766 per statement.
MARKS_PER_DELETE = 10_000
# Above this many areas to judge, a full run judges every area: one pass over the tree is then
# cheaper than a list of ids (and SQLite caps the parameters of one statement).
JUDGE_ALL_ABOVE = 10_000
# A rebuild may run for long: its lock row (SQLite) outlives a task's time limit.
REBUILD_LOCK_TTL = datetime.timedelta(hours=6)
# Full runs one lock holder serves at most before it lets go; more requests wait for the next run.
FULL_RUNS_PER_HOLD = 4
# Run records older than this are deleted by each full run (the newest always stays: the next
# full run compares its digests with it). An hourly run leaves ~720 rows a month.
RUN_RECORDS_KEPT_DAYS = 30


@dataclass
class RunReport:
    kind: str
    as_of: datetime.date
    skipped: bool = False
    areas_computed: int = 0
    rows_written: int = 0
    changes_appended: int = 0
    remaining: bool = False
    duration_ms: int = 0

    def as_dict(self) -> dict:
        data = asdict(self)
        data["kind"], data["as_of"] = str(self.kind), self.as_of.isoformat()
        return data


def policy_rules_active() -> PolicyRules:
    """The active policy's rules; the defaults if staff deactivated every policy."""
    policy = Policy.objects.filter(is_active=True).first() or Policy()
    return PolicyRules.from_policy(policy, small_child_count=settings.EVACTRACK_SMALL_CHILD_COUNT)


@transaction.atomic
def policy_save(*, policy: Policy) -> Policy:
    """Validate and save a policy; activating one deactivates the others (exactly one is active).

    A full recompute is requested in the same transaction and enqueued on commit, so the new
    rules apply everywhere without waiting for the hourly run; if the broker is down or the
    worker dies, the next run of any kind (the sweep, every 30 s) serves the request.
    """
    if policy.is_active:
        # Before validation, so the "one active" constraint sees the others already off; an
        # invalid policy rolls this back with the rest of the transaction.
        Policy.objects.filter(is_active=True).exclude(pk=policy.pk).update(is_active=False)
    policy.full_clean()
    policy.save()
    status_recompute_full_request(as_of=None, every_area=False)
    transaction.on_commit(_enqueue_full_recompute)
    return policy


def _enqueue_full_recompute() -> None:
    # The task's own request and this one are for the same date: one run serves both.
    try:
        current_app.send_task("status.recompute_full", retry=False)
    except Exception:  # noqa: BLE001 - a broker outage must not undo the policy edit
        logger.warning("Broker unreachable; the new policy applies at the next sweep, which serves the request.")


def status_recompute_full_request(*, as_of: datetime.date | None, every_area: bool) -> FullRunRequest:
    """Ask for a full run (`as_of` None: the day it runs); the next run holding the lock serves it.

    Always a new row, never an update of a pending one: a pending row may be being deleted by
    the run serving it, whose reads may already be done. Requests merge when served.
    """
    return FullRunRequest.objects.create(as_of=as_of, every_area=every_area)


def _record(report: RunReport, started: float, run: RecomputeRun | None = None) -> RunReport:
    """Store a full run or a rebuild (done or skipped). Incremental runs are only logged."""
    report.duration_ms = int((time.monotonic() - started) * 1000)
    run = run or RecomputeRun()
    run.kind, run.as_of, run.skipped = report.kind, report.as_of, report.skipped
    run.duration_ms, run.areas_computed = report.duration_ms, report.areas_computed
    run.rows_written, run.changes_appended = report.rows_written, report.changes_appended
    run.save()
    if report.skipped and report.kind == RunKind.FULL:
        logger.info("Status full recompute put off: another recompute holds the lock and serves it, or the next run.")
    elif report.skipped:
        logger.info("Status %s recompute skipped: another recompute holds the lock.", report.kind)
    return report


def status_recompute_dirty(*, as_of: datetime.date | None = None, limit: int = DIRTY_BATCH) -> RunReport:
    """Recompute the areas marked dirty (and their ancestors' roll-ups). Idempotent: nothing dirty, nothing done."""
    started = time.monotonic()
    as_of = as_of or timezone.localdate()
    report = RunReport(kind=RunKind.DIRTY, as_of=as_of)
    # Before the claim and committed at once: a write committed from now on asks for another run.
    dirty_recompute_request_take()
    with single_flight(RECOMPUTE_LOCK) as acquired:
        if not acquired:
            report.skipped = True
        else:
            # A full run asked for meanwhile comes first; it serves every dirty mark as well.
            _full_runs_serve()
            # The protocol with the writers is told in reports.services.areas_mark_dirty. The
            # claimed marks stay locked until commit and are deleted at the version read: if the
            # run dies they come back, and a writer that meets one marks its area again after.
            claimed = list(
                DirtyArea.objects.select_for_update(skip_locked=True, of=("self",))
                .order_by("marked_at")
                .values_list("area_id", "area__path", "version")[: limit + 1]
            )
            report.remaining = len(claimed) > limit
            claimed = claimed[:limit]
            if not claimed:
                return report  # nothing to do, and nothing worth a run record
            ids = [area_id for area_id, _path, _version in claimed]
            rules = policy_rules_active()
            scope, paths = Scope(area_ids=tuple(ids)), [path for _id, path, _version in claimed]
            computation = load_and_evaluate(scope=scope, rules=rules, as_of=as_of, ancestor_paths=paths)
            # What these areas were judged from: the next full run need not judge them again.
            fingerprint.digests_store(rules, as_of, ids)
            roll_up(computation, outside_children=load_outside_children(computation))
            written = persist(computation)
            _marks_delete([(area_id, version) for area_id, _path, version in claimed])
            report.areas_computed = len(computation.results)
            report.rows_written, report.changes_appended = written.rows_written, written.changes_appended
    # Incremental runs happen after every write: logged, not stored, so the run table stays
    # small. One that met the lock leaves its marks for the holder's next run or the sweep.
    report.duration_ms = int((time.monotonic() - started) * 1000)
    logger.debug("Status dirty recompute%s: %s", " skipped" if report.skipped else "", report.as_dict())
    return report


def _marks_delete(marks: list[tuple[int, int]]) -> None:
    """Delete these (area id, version) marks; a mark whose version moved since it was read stays."""
    table = DirtyArea._meta.db_table
    with connection.cursor() as cursor:
        for start in range(0, len(marks), MARKS_PER_DELETE):
            chunk = marks[start : start + MARKS_PER_DELETE]
            cursor.execute(
                f"DELETE FROM {table} WHERE (area_id, version) IN (VALUES {', '.join(['(%s, %s)'] * len(chunk))})",
                [value for mark in chunk for value in mark],
            )


def status_recompute_full(*, as_of: datetime.date | None = None, every_area: bool = False) -> RunReport:
    """Bring every area up to date: windows move with the calendar, and lost changes are repaired.

    Every input row is checked (evactrack.status.fingerprint), but only the areas whose inputs
    or dates changed since the last full run are judged again, with their ancestors. Every area
    is judged when `every_area` is set (the nightly run), when the policy or the tree changed,
    or when there is no earlier full run to compare with or it was for a later date.

    The run is requested first (FullRunRequest, committed before the lock is tried): when
    another run holds the lock, or this one dies, the request waits for the next run to serve.
    The lock holder serves requests that came meanwhile before it lets go.
    """
    started = time.monotonic()
    with transaction.atomic():
        status_recompute_full_request(as_of=as_of, every_area=every_area)
    with single_flight(RECOMPUTE_LOCK) as acquired:
        if not acquired:
            return _record(RunReport(kind=RunKind.FULL, as_of=as_of or timezone.localdate(), skipped=True), started)
        report = _full_run_serve(as_of)
        _full_runs_serve()
    # None: a run between our request and our lock served it.
    return report or RunReport(kind=RunKind.FULL, as_of=as_of or timezone.localdate())


def _full_runs_serve(rounds: int = FULL_RUNS_PER_HOLD) -> None:
    """Serve pending full-run requests, oldest date first; the lock held."""
    for _round in range(rounds):
        oldest = FullRunRequest.objects.order_by("requested_at", "id").values_list("as_of", flat=True)[:1]
        if not oldest:
            return
        _full_run_serve(oldest[0])


def _full_run_serve(as_of: datetime.date | None) -> RunReport | None:
    """One run for every pending request for `as_of`, of every area if any asked; the lock held."""
    served = list(FullRunRequest.objects.filter(as_of=as_of).values_list("id", "every_area"))
    if not served:
        return None
    # Deleted before any input is read: a request committed later asks for a later run.
    FullRunRequest.objects.filter(id__in=[request_id for request_id, _every in served]).delete()
    every_area = any(every for _id, every in served)
    return _full_run(as_of=as_of or timezone.localdate(), every_area=every_area)


def _full_run(*, as_of: datetime.date, every_area: bool) -> RunReport:
    started = time.monotonic()
    report = RunReport(kind=RunKind.FULL, as_of=as_of)
    # Every pending mark is served by this run: deleted before any input is read, so a change
    # committed later either is seen by the reads below or keeps its mark for the sweep.
    # A marked area's inputs changed, so its digest moved: the marks need not be read.
    DirtyArea.objects.all().delete()
    rules = policy_rules_active()
    run = RecomputeRun(policy_digest=fingerprint.policy_digest(rules), tree_digest=fingerprint.tree_digest())
    last = (
        RecomputeRun.objects.filter(kind=RunKind.FULL, skipped=False)
        .exclude(tree_digest="")
        .order_by("-started_at", "-id")
        .first()
    )
    run.every_area = every_area or not (
        last and last.policy_digest == run.policy_digest and last.tree_digest == run.tree_digest and last.as_of <= as_of
    )
    computation = None if run.every_area else _recompute_changed(rules, as_of)
    if computation is None:
        run.every_area = True
        computation = load_and_evaluate(scope=Scope(), rules=rules, as_of=as_of)
        roll_up(computation)
        fingerprint.digests_store(rules, as_of)
    written = persist(computation)
    report.areas_computed = len(computation.results)
    report.rows_written, report.changes_appended = written.rows_written, written.changes_appended
    _record(report, started, run)  # in the holder's transaction: one commit
    kept_since = timezone.now() - datetime.timedelta(days=RUN_RECORDS_KEPT_DAYS)
    RecomputeRun.objects.filter(started_at__lt=kept_since).exclude(pk=run.pk).delete()
    return report


def _recompute_changed(rules: PolicyRules, as_of: datetime.date) -> Computation | None:
    """Judge the areas whose inputs moved, those under a moved subtree fact and those due a recheck,
    with their ancestors. None when there are so many that judging every area is cheaper."""
    moved, subtree_paths = fingerprint.changed_areas(rules, as_of)
    judged = dict(moved)
    judged.update(AreaStatus.objects.filter(recheck_on__lte=as_of).values_list("area_id", "area__path"))
    if subtree_paths:
        below = reduce(operator.or_, (Q(path__startswith=path) for path in subtree_paths))
        judged.update(Area.objects.filter(below).values_list("id", "path"))
    if len(judged) > JUDGE_ALL_ABOVE:
        return None
    if moved:
        fingerprint.digests_store(rules, as_of, [area_id for area_id, _path in moved])
    if not judged:
        return Computation(as_of=as_of, areas={})
    computation = load_and_evaluate(
        scope=Scope(area_ids=tuple(judged)), rules=rules, as_of=as_of, ancestor_paths=judged.values()
    )
    roll_up(computation, outside_children=load_outside_children(computation))
    return computation


def status_orders_expire(*, as_of: datetime.date | None = None) -> int:
    """Mark orders past their end date expired; their areas are marked dirty by the reports service."""
    return orders_expire_due(as_of=as_of)


def history_dates(*, since: datetime.date, until: datetime.date, rules: PolicyRules) -> list[datetime.date]:
    """Every date on which some input starts, ends or leaves a window: where a status can change."""
    window = datetime.timedelta(days=rules.window_days)
    hold = datetime.timedelta(days=rules.hysteresis_days)
    shown = datetime.timedelta(days=rules.lifted_shown_days)
    day = datetime.timedelta(days=1)
    dates = {since, until}
    for occurred_on in (
        Incident.objects.filter(verification_state__in=rules.counted_states, occurred_on__lte=until)
        .filter(occurred_on__gte=since - window - hold)
        .order_by()
        .values_list("occurred_on", flat=True)
        .distinct()
    ):
        dates.update({occurred_on, occurred_on + window, occurred_on + hold, occurred_on + window + hold})
    # A pattern starts counting on its first day and leaves the windows after its last.
    for occurred_on, last_day in (
        Incident.objects.filter(
            kind=IncidentKind.PATTERN, verification_state__in=rules.counted_states, occurred_on__lte=until
        )
        .filter(occurred_until__gte=since - window - hold)
        .order_by()
        .values_list("occurred_on", "occurred_until")
        .distinct()
    ):
        dates.update({occurred_on, last_day + window, last_day + hold, last_day + window + hold})
    orders = (
        EvacuationOrder.objects.exclude(state=OrderState.DRAFT)
        .annotate(
            # The first start of an order replacing it; drafts replace nothing.
            superseded_from=Min("superseded_by__effective_from", filter=Q(superseded_by__state__in=IN_FORCE_STATES))
        )
        .order_by()
        .values_list(
            "effective_from", "effective_until", "lifted_on", "superseded_from", "effective_from_precision", *LIFE_CYCLE
        )
    )
    # A start known only to the week, month or year is uncertain until its span ends: the reason
    # changes the day after (engine.precision_last_day).
    for effective_from, effective_until, lifted_on, superseded_from, precision, *life_cycle in orders:
        dates.update({effective_from, uncertain_until(effective_from, precision)})
        for ended in (lifted_on, effective_until + day if effective_until else None, superseded_from):
            if ended:
                dates.update({ended, ended + shown})
        dates.update(_to_confirm_dates(effective_from, effective_until, *life_cycle, rules=rules, until=until))
    designations = ControlDesignation.objects.order_by().values_list(
        "valid_from", "valid_until", "valid_from_precision"
    )
    for valid_from, valid_until, precision in designations:
        dates.update({valid_from, uncertain_until(valid_from, precision)})
        if valid_until:
            dates.add(valid_until + day)
    dates.update(PopulationCount.objects.order_by().values_list("reference_date", flat=True).distinct())
    return sorted(date for date in dates if date and since <= date <= until)


def uncertain_until(start: datetime.date, precision: str) -> datetime.date | None:
    """The day a start of this precision stops being uncertain; None for a day-precise one."""
    return None if precision == DatePrecision.DAY else precision_last_day(start, precision) + datetime.timedelta(days=1)


LIFE_CYCLE = ("issued_on", "confirmed_on", "review_on")
IN_FORCE_STATES = (OrderState.ACTIVE, OrderState.LIFTED, OrderState.EXPIRED)


def _to_confirm_dates(effective_from, effective_until, issued_on, confirmed_on, review_on, *, rules, until) -> set:
    """The days an order's "to confirm" flag can change: the day it becomes due as known before
    its confirmation, the confirmation's day, and the day it becomes due after it."""
    days = {confirmed_on} if confirmed_on else set()
    for as_of in {effective_from, confirmed_on or effective_from, until}:
        due = to_confirm_from(
            effective_from=effective_from,
            effective_until=effective_until,
            issued_on=issued_on,
            confirmed_on=confirmed_on,
            review_on=review_on,
            review_days=rules.order_review_days,
            as_of=as_of,
        )
        if due is not None:
            days.add(due)
    return days


def areas_with_facts(*, since: datetime.date, rules: PolicyRules) -> dict[int, str] | None:
    """{id: path} of the areas some input can apply to on a date from `since` on, with the areas
    under subtree facts. None when there are so many that judging every area is cheaper.

    Every other area is normal with nothing to say on each of those dates, and its counts (all
    dated before `since`) are the same on each: its stored status stands for it in a roll-up.
    """
    lookback = datetime.timedelta(days=rules.incident_lookback_days())
    ended_before = since - datetime.timedelta(days=rules.lifted_shown_days)
    targets = (
        OrderTarget.objects.exclude(order__state=OrderState.DRAFT)
        .filter(Q(order__lifted_on__isnull=True) | Q(order__lifted_on__gt=ended_before))
        .filter(Q(order__effective_until__isnull=True) | Q(order__effective_until__gte=ended_before))
    )
    designations = ControlDesignation.objects.filter(Q(valid_until__isnull=True) | Q(valid_until__gte=since))
    incidents = Incident.objects.filter(
        Q(occurred_on__gte=since - lookback) | Q(kind=IncidentKind.PATTERN, occurred_until__gte=since - lookback),
        verification_state__in=rules.counted_states,
    )
    counts = PopulationCount.objects.filter(reference_date__gte=since)
    inherited = Q(id__in=designations.values("area_id")) | Q(
        id__in=targets.filter(scope=TargetScope.SUBTREE).values("area_id")
    )
    found = dict(
        Area.objects.filter(
            inherited
            | Q(id__in=targets.values("area_id"))
            | Q(id__in=incidents.values("area_id"))
            | Q(id__in=counts.values("area_id"))
        ).values_list("id", "path")
    )
    roots = list(Area.objects.filter(inherited).values_list("path", flat=True))
    if roots:
        below = reduce(operator.or_, (Q(path__startswith=path) for path in roots))
        found.update(Area.objects.filter(below).values_list("id", "path")[: JUDGE_ALL_ABOVE + 1])
    return None if len(found) > JUDGE_ALL_ABOVE else found


def status_history_rebuild(
    *,
    since: datetime.date,
    until: datetime.date | None = None,
    progress: Callable[[int, int, datetime.date], None] | None = None,
    only_where_facts: bool = False,
) -> RunReport:
    """Replace the timeline from `since` on with one recomputed from the dated inputs.

    Steps through every date where an input starts or ends (history_dates), judging every area
    at each; a StatusChange is appended where level or reasons differ from the previous step.
    The current statuses are then brought in line with the last step, without a second history row.

    `only_where_facts`: judge only the areas some input applies to from `since` on (with their
    ancestors); the rest keep their history. Loading seeds into a national gazetteer judges a
    few thousand areas per date instead of 31,745.
    """
    started = time.monotonic()
    until = until or timezone.localdate()
    report = RunReport(kind=RunKind.REBUILD, as_of=until)
    rules = policy_rules_active()
    with single_flight(RECOMPUTE_LOCK, ttl=REBUILD_LOCK_TTL) as acquired:
        if not acquired:
            report.skipped = True
            return _record(report, started)
        scope, judged = Scope(), None
        if only_where_facts:
            judged = areas_with_facts(since=since, rules=rules)
            if judged is not None:
                scope = Scope(area_ids=tuple(judged))
                judged.update(_ancestors_of(judged.values()))
        rebuilt = StatusChange.objects.filter(as_of__gte=since)
        if judged is not None:
            rebuilt = rebuilt.filter(area_id__in=list(judged))
        rebuilt.delete()
        last_ids = StatusChange.objects.values("area_id").annotate(last=Max("id")).values_list("last", flat=True)
        previous = {
            area_id: (level, _change_digest(level, reasons, everyone, groups))
            for area_id, level, reasons, everyone, groups in StatusChange.objects.filter(
                id__in=list(last_ids)
            ).values_list("area_id", "level", "reasons", "level_for_everyone", "group_levels")
        }
        dates = history_dates(since=since, until=until, rules=rules)
        computation, recorded_at, outside = None, timezone.now(), None
        for index, as_of in enumerate(dates, start=1):
            computation = load_and_evaluate(
                scope=scope, rules=rules, as_of=as_of, ancestor_paths=judged.values() if judged else ()
            )
            if judged is not None and outside is None:
                # Nothing applies to the areas outside on any of these dates: read once.
                outside = load_outside_children(computation)
            roll_up(computation, outside_children=outside)
            changes = []
            for area_id, result in computation.results.items():
                change_digest = result.digests()[1]
                before_level, before_digest = previous.get(area_id, (StatusLevel.NORMAL, BLANK_CHANGE_DIGEST))
                if change_digest == before_digest:
                    continue
                changes.append(
                    {
                        "area_id": area_id,
                        "as_of": as_of,
                        "previous_level": before_level,
                        "origin": ChangeOrigin.REBUILD,
                        "recorded_at": recorded_at,
                        **result_fields(result),
                    }
                )
                previous[area_id] = (result.level, change_digest)
            write_rows(StatusChange, changes)
            report.changes_appended += len(changes)
            if progress:
                progress(index, len(dates), as_of)
        if computation is not None:
            written = persist(computation, record_changes=False)
            report.rows_written = written.rows_written
            report.areas_computed = len(computation.results)
    return _record(report, started)


def _ancestors_of(paths) -> dict[int, str]:
    codes = {code for path in paths for code in path.rstrip(PATH_SEPARATOR).split(PATH_SEPARATOR)}
    return dict(Area.objects.filter(code__in=codes).values_list("id", "path"))


def _change_digest(level: str, reasons: list, level_for_everyone: str, group_levels: dict) -> str:
    return AreaResult(
        level=level,
        score=0,
        reasons=reasons,
        figures=BLANK.figures,
        level_for_everyone=level_for_everyone,
        group_levels=group_levels or {},
    ).digests()[1]


def area_status_delete_all() -> int:
    """Forget every current status (the next full recompute judges every area again). For tests and benchmarks."""
    with transaction.atomic():
        RecomputeRun.objects.filter(kind=RunKind.FULL).update(tree_digest="")
        fingerprint.digests_forget()
        return AreaStatus.objects.all().delete()[0]
