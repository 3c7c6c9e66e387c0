"""Reads of the status engine for the API, the admin and exports.

- status_for_area(area=, as_of=None): the status now (stored) or at any past date (computed
  from the dated inputs, the area's subtree only).
- status_history(area=, since=, until=): the area's timeline, oldest first.
- status_summary(area=): how many areas under it sit at each level, by area level.
- stored_distribution(area), distribution_by_child(area): how the settlements below spread over
  the levels, for an area and for each of its children (a country's oblasts).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Substr
from django.utils import timezone

from evactrack.status.choices import StatusLevel, who_must_leave_label
from evactrack.status.compute import BLANK, Scope, load_and_evaluate, roll_up
from evactrack.status.engine import distribution_words, figures_words, reasons_sentence, settlement_distribution
from evactrack.status.models import AreaStatus, StatusChange
from evactrack.status.services import policy_rules_active
from locations.choices import AreaLevel
from locations.models import Area
from reports.choices import OrderState
from reports.lifecycle import to_confirm_from
from reports.models import EvacuationOrder

# Areas with no settlements below them: their status is their own, not a spread.
LEAF_LEVELS = (AreaLevel.SETTLEMENT, AreaLevel.CITY_DISTRICT)


@dataclass(frozen=True)
class StatusView:
    """An area's status at a date, whether read from the stored row or computed for the past."""

    area_code: str
    as_of: datetime.date
    level: str
    score: float
    reasons: list
    figures: dict
    computed: bool  # True when judged on the fly for a past date, False when read from AreaStatus
    computed_at: datetime.datetime | None = None
    extra: dict = field(default_factory=dict)
    # What applies to the whole population, and the groups an order puts worse off than that.
    level_for_everyone: str = StatusLevel.NORMAL
    group_levels: dict = field(default_factory=dict)
    # Above the settlement: how the settlements below spread over the levels (engine.settlement_distribution).
    distribution: dict | None = None

    @property
    def who_must_leave(self) -> str:
        return who_must_leave_label(self.level, self.level_for_everyone, self.group_levels)

    @property
    def sentence(self) -> str:
        worst = reasons_sentence(
            self.level, self.reasons, level_for_everyone=self.level_for_everyone, group_levels=self.group_levels
        )
        if self.distribution is None:
            return worst
        # Above the settlement the spread leads: the worst-of level alone overstates an oblast.
        return f"{distribution_words(self.distribution)}. Most severe: {worst}"

    def sentence_with(self, figures: dict) -> str:
        """The sentence, then these figures (as the reader may see them) with their qualifiers."""
        words = figures_words(figures)
        sentence = self.sentence
        return f"{sentence.rstrip('.')}. {words}." if words else sentence


def status_for_area(*, area: Area, as_of: datetime.date | None = None) -> StatusView:
    """The area's status on `as_of` (default: today, from the stored row).

    A past (or future) date is judged from the inputs dated up to it with the active policy,
    so it is always consistent with today's data; it costs a computation of the area's
    subtree (one settlement: milliseconds; the whole country: about a full recompute).
    """
    today = timezone.localdate()
    if as_of is None or as_of == today:
        return _stored_view(area, AreaStatus.objects.filter(area=area).first(), stored_distribution(area), today)
    computation = load_and_evaluate(scope=Scope(path=area.path), rules=policy_rules_active(), as_of=as_of)
    roll_up(computation)
    result = computation.results[area.pk]
    distribution = None
    if area.level not in LEAF_LEVELS:
        results = [computation.results[pk] for pk in _settlements_under(area).values_list("id", flat=True)]
        distribution = settlement_distribution(
            (r.level, 1, r.figures.people_present.value, r.figures.people_present.value is None) for r in results
        )
    return StatusView(
        area.code,
        as_of,
        result.level,
        result.score,
        result.reasons,
        result.figures.as_fields(),
        computed=True,
        level_for_everyone=result.level_for_everyone,
        group_levels=dict(result.group_levels),
        distribution=distribution,
    )


def _stored_view(area: Area, status: AreaStatus | None, distribution: dict | None, today) -> StatusView:
    """The current status view of an area from its stored row (None: never judged, so normal)."""
    if status is None:
        return StatusView(
            area.code, today, BLANK.level, 0.0, [], BLANK.figures.as_fields(), computed=False,
            distribution=distribution,
        )  # fmt: skip
    figures = {name: getattr(status, name) for name in BLANK.figures.as_fields()}
    return StatusView(
        area.code,
        status.as_of,
        status.level,
        status.score,
        status.reasons,
        figures,
        computed=False,
        computed_at=status.computed_at,
        level_for_everyone=status.level_for_everyone,
        group_levels=status.group_levels,
        distribution=distribution,
    )


def statuses_now(*, codes) -> dict[str, StatusView]:
    """The current status view of each of these areas, as status_for_area gives it one by one:
    code → view (unknown codes left out). The change feed renders a page of area statuses with it.

    Queries: one for the areas with their stored rows, and one per depth of the areas above the
    settlement for their distributions (at most five), whatever the number of areas."""
    areas = list(Area.objects.filter(code__in=list(codes)).select_related("status"))
    today = timezone.localdate()
    groups: dict[str, list] = {area.path: [] for area in areas if area.level not in LEAF_LEVELS}
    by_length: dict[int, list[str]] = {}
    for path in groups:
        by_length.setdefault(len(path), []).append(path)
    for length, paths in by_length.items():
        # Grouped by the settlement's path cut to the parent's length: one prefix scan per path.
        under = Q()
        for path in paths:
            under |= Q(path__startswith=path)
        rows = (
            Area.objects.filter(under, level=AreaLevel.SETTLEMENT)
            .annotate(prefix=Substr("path", 1, length))
            .values("prefix", "status__level")
            .annotate(
                settlements=Count("id"),
                people=Sum("status__people_present"),
                missing=Count("id", filter=Q(status__people_present__isnull=True)),
            )
            .order_by()
        )
        for row in rows:
            groups[row["prefix"]].append(
                (row["status__level"] or StatusLevel.NORMAL, row["settlements"], row["people"], row["missing"])
            )
    views = {}
    for area in areas:
        distribution = settlement_distribution(groups[area.path]) if area.path in groups else None
        views[area.code] = _stored_view(area, getattr(area, "status", None), distribution, today)
    return views


def _settlements_under(area: Area):
    return Area.objects.within(area).filter(level=AreaLevel.SETTLEMENT).order_by()


def stored_distribution(area: Area) -> dict | None:
    """The spread of the settlements under `area` over their stored levels; None for a
    settlement itself. One query. A settlement without a stored status is normal."""
    if area.level in LEAF_LEVELS:
        return None
    rows = (
        _settlements_under(area)
        .values("status__level")
        .annotate(
            settlements=Count("id"),
            people=Sum("status__people_present"),
            # A settlement without a stored status has no count either (a LEFT JOIN's null).
            missing=Count("id", filter=Q(status__people_present__isnull=True)),
        )
    )
    return settlement_distribution(
        (row["status__level"] or StatusLevel.NORMAL, row["settlements"], row["people"], row["missing"]) for row in rows
    )


def distribution_by_child(area: Area) -> dict[str, dict]:
    """{child code: its settlement distribution} for every child of `area` (a country's oblasts),
    from one grouped query. A child without settlements below it has none (all levels zero)."""
    children = dict(Area.objects.filter(parent=area).values_list("code", "path"))
    if not children:
        return {}
    # Every child's code has the same length (KATOTTG, ISO 3166-2): its path prefix is a fixed slice.
    lengths = {len(path) for path in children.values()}
    if len(lengths) != 1:
        return {code: stored_distribution(Area.objects.get(code=code)) for code in children}
    prefix = Substr("path", 1, lengths.pop())
    rows = (
        _settlements_under(area)
        .annotate(prefix=prefix)
        .values("prefix", "status__level")
        .annotate(
            settlements=Count("id"),
            people=Sum("status__people_present"),
            missing=Count("id", filter=Q(status__people_present__isnull=True)),
        )
    )
    groups: dict[str, list] = {path: [] for path in children.values()}
    for row in rows:
        groups.setdefault(row["prefix"], []).append(
            (row["status__level"] or StatusLevel.NORMAL, row["settlements"], row["people"], row["missing"])
        )
    return {code: settlement_distribution(groups[path]) for code, path in children.items()}


def status_history(
    *, area: Area, since: datetime.date | None = None, until: datetime.date | None = None
) -> QuerySet[StatusChange]:
    changes = StatusChange.objects.filter(area=area).order_by("as_of", "id")
    if since:
        changes = changes.filter(as_of__gte=since)
    if until:
        changes = changes.filter(as_of__lte=until)
    return changes


def level_changes(changes: QuerySet[StatusChange]) -> QuerySet[StatusChange]:
    """Only the steps where the level changed: what a timeline or a list of the latest changes
    shows. The others (a second order, an incident more, at the same level) stay in the history."""
    return changes.exclude(level=F("previous_level"))


def area_statuses(*, within: Area | None = None, level: str | None = None) -> QuerySet[AreaStatus]:
    """Current statuses, optionally of one subtree and one status level, with their areas."""
    statuses = AreaStatus.objects.select_related("area")
    if within is not None:
        statuses = statuses.filter(area__path__startswith=within.path)
    if level:
        statuses = statuses.filter(level=level)
    return statuses


def status_summary(*, area: Area) -> dict[str, dict[str, int]]:
    """{area level: {status level: number of areas}} under `area` (itself excluded). One query.

    Areas without a stored status are normal: nothing ever applied to them.
    """
    totals = (
        Area.objects.within(area, include_self=False)
        .values("level", "status__level")
        .annotate(n=Count("id"))
        .order_by()
    )
    summary: dict[str, dict[str, int]] = {}
    for row in totals:
        by_level = summary.setdefault(row["level"], dict.fromkeys(StatusLevel.values, 0))
        by_level[row["status__level"] or StatusLevel.NORMAL] += row["n"]
    return summary


def orders_to_confirm(*, as_of: datetime.date | None = None, review_days: int | None = None) -> QuerySet:
    """The orders in force at as_of (default today) that are "to confirm" (reports.lifecycle):
    active, with no end date, not replaced, and unconfirmed for the policy's review days. The
    admin's queue. 2 queries: the candidates' dates, then the queryset the caller pages.

    The rule is applied in Python, by the same function the engine uses, to the few open-ended
    active orders (thousands at most), so the queue and the status reasons cannot disagree.
    """
    as_of = as_of or timezone.localdate()
    if review_days is None:
        review_days = policy_rules_active().order_review_days
    replaced = EvacuationOrder.objects.filter(supersedes_id=OuterRef("pk"), effective_from__lte=as_of).exclude(
        state=OrderState.DRAFT
    )
    candidates = (
        EvacuationOrder.objects.filter(state=OrderState.ACTIVE, effective_until__isnull=True, effective_from__lte=as_of)
        .filter(~Exists(replaced))
        .order_by()
        .values_list("pk", "effective_from", "issued_on", "confirmed_on", "review_on")
    )
    due = [
        pk
        for pk, effective_from, issued_on, confirmed_on, review_on in candidates
        if to_confirm_from(
            effective_from=effective_from,
            effective_until=None,
            issued_on=issued_on,
            confirmed_on=confirmed_on,
            review_on=review_on,
            review_days=review_days,
            as_of=as_of,
        )
        <= as_of
    ]
    return EvacuationOrder.objects.filter(pk__in=due)
