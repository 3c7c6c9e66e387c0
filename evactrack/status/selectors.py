"""Reads of the status engine for the API, the admin and exports.

- status_for_area(area=, as_of=None): the status now (stored) or at any past date (computed
  from the dated inputs, the area's subtree only).
- status_history(area=, since=, until=): the area's timeline, oldest first.
- status_summary(area=): how many areas under it sit at each level, by area level.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from evactrack.status.choices import StatusLevel, who_must_leave_label
from evactrack.status.compute import BLANK, Scope, load_and_evaluate, roll_up
from evactrack.status.engine import distribution_words, figures_words, reasons_sentence, settlement_distribution
from evactrack.status.models import AreaStatus, StatusChange
from evactrack.status.services import policy_rules_active
from locations.choices import AreaLevel
from locations.models import Area

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
        status = AreaStatus.objects.filter(area=area).first()
        if status is None:
            return StatusView(
                area.code,
                today,
                BLANK.level,
                0.0,
                [],
                BLANK.figures.as_fields(),
                computed=False,
                distribution=stored_distribution(area),
            )
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
            distribution=stored_distribution(area),
        )
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


def status_history(
    *, area: Area, since: datetime.date | None = None, until: datetime.date | None = None
) -> QuerySet[StatusChange]:
    changes = StatusChange.objects.filter(area=area).order_by("as_of", "id")
    if since:
        changes = changes.filter(as_of__gte=since)
    if until:
        changes = changes.filter(as_of__lte=until)
    return changes


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
