"""The status rules: a pure function of (inputs, policy, as_of). No database, no clock.

Decisions a coordinator should know (also in docs/STATUS.md):

- An order counts at `as_of` when it is not a draft and its dates say so: effective_from ≤ as_of,
  not lifted on or before as_of, not ended (effective_until) before as_of. The stored state is
  not trusted alone, so a past date can be recomputed after the order was lifted or expired.
- Designations are the kinds of Ukraine's official list of territories of hostilities or
  occupation; the policy gives each its level (`designation_levels`, staff edit it). By default
  temporarily occupied and encircled → no_access; possible hostilities and active hostilities
  (with or without state e-resources) → advisory. The list is legal context (benefits, curfews,
  state services), not an evacuation call: places on it still receive evacuation convoys, and
  only an order or the incidents raise such an area above advisory.
- An order replaced by another (`supersedes`) stops counting from the replacing order's
  effective_from (if that one is not a draft), whether the replacement is wider or narrower,
  and even if the replacement is lifted later: it was replaced, not suspended. It is named as
  ended ("superseded") for `lifted_shown_days`.
- An order in force without an end date that nobody confirmed for `order_review_days` since it
  was issued, took effect or was last confirmed (or whose own review date passed without a
  confirmation) is "to confirm" (reports.lifecycle): its level stays, its reason carries
  `to_confirm: true` and `unconfirmed_since`, and the day it becomes so is a recheck day.
- Who must leave: `level` is the worst level that applies to anyone. `level_for_everyone` is the
  level of what applies to the whole population (designations, orders for everyone, incidents);
  `group_levels` names each population group an order puts worse off than that (a children-only
  order: `{"children_with_guardians": "evacuation_mandatory"}`). A parent takes the worst of its
  children's for each, group by group.
- Designations and orders targeting a subtree apply to every area in it; incidents count for
  the area they are recorded on (parents see them through the roll-up). A `part` target applies
  the order's level to that area only, but its people subject are unknown unless stated.
- A start known only to the week, month or year counts from the stored date (its first possible
  day); its reason carries `since_precision`, and `uncertain` while as_of is inside the span.
- Figures carry their qualifiers and add by one algebra (add_figures). An order's figure for
  several targets counts once, at the lowest area holding them all (area_result).
- Reasons name only what was known at as_of: a designation or order in force is named with its
  start, never its end (on 2022-06-01 nobody knew the occupation would end on 2022-09-10); an
  end is named once it has passed (`order_ended`). The end dates still set `recheck_on`.
- Corroboration: reports not yet verified raise an area at most to the policy's
  `unverified_level_cap` (advisory), unless `corroborating_organizations` (2) different
  organizations reported in the area within the window; verified reports count in full. The
  incidents reason says when the rule held a level down (`held_down`).
- Incidents score by the policy's hazard types: only those types add points (their weight plus
  `casualty_weight` per casualty). Other types (by default mass graves and detention sites,
  evidence of past violence) add nothing and are named in the incidents reason as context
  (`context`: count by type). `discovered_on` is stored, not scored: such evidence is dated
  by the violence it shows.
- Only civilian casualties score: civilians killed plus civilians injured. Where a source does
  not split a figure (civilians_killed or civilians_injured null), that figure's total counts
  instead, as it did before the split existed, so no stored row changes its score silently; the
  reason counts the incidents scored on civilians alone (`civilian_split`).
- A pattern (kind "pattern": "an increase in shelling" over occurred_on..occurred_until, one day
  when occurred_until is empty) scores once in every window its range overlaps, at its type's
  weight plus its casualties, never once per day of the range.
- Hysteresis applies to incident-driven levels only: such a level goes down once the score
  has stayed below its threshold for `hysteresis_days`. Official acts (orders, designations)
  take effect on their dates; an ended order stays named in the reasons (not in the level)
  for `lifted_shown_days`.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import orjson

from evactrack.kernel.db import DatePrecision, Qualifier
from evactrack.status.choices import (
    CHILDREN_WITHHELD,
    DESIGNATION_LEVEL_DEFAULTS,
    DESIGNATION_LEVEL_FIELDS,
    LEVEL_HEADLINE,
    LEVEL_RANK,
    PresentBasis,
    StatusLevel,
)
from reports.choices import (
    EVIDENCE_TYPES,
    ControlKind,
    IncidentKind,
    IncidentType,
    OrderKind,
    OrderState,
    PopulationGroup,
    TargetScope,
    VerificationState,
)
from reports.lifecycle import to_confirm_from, unconfirmed_since

DAY = datetime.timedelta(days=1)
# Reasons name at most this many incidents (newest first); the count says how many there are.
INCIDENT_UIDS_SHOWN = 10
# A parent's reasons name at most this many of its children at the worst level.
CHILD_AREAS_SHOWN = 3

ORDER_LEVEL = {
    OrderKind.MANDATORY: StatusLevel.EVACUATION_MANDATORY,
    OrderKind.RECOMMENDED: StatusLevel.EVACUATION_RECOMMENDED,
}
# The groups whose orders cover every child (families with children are all the children with
# their families): the children subject to such an order are the children present.
CHILD_GROUPS = {
    PopulationGroup.EVERYONE,
    PopulationGroup.CHILDREN_WITH_GUARDIANS,
    PopulationGroup.FAMILIES_WITH_CHILDREN,
}
# Groups in the order the sentence and the admin name them.
GROUP_ORDER = {group: index for index, group in enumerate(PopulationGroup.values)}


@dataclass(frozen=True)
class PolicyRules:
    """The policy row as the engine sees it: plain values, hashable, no ORM."""

    window_days: int = 14
    type_weights: Mapping[str, float] = field(default_factory=dict)
    casualty_weight: float = 0.5
    advisory_threshold: float = 1.0
    recommended_threshold: float = 10.0
    counted_states: frozenset[str] = frozenset({VerificationState.REPORTED, VerificationState.VERIFIED})
    # The incident types that score; the others are context (Policy.hazard_types).
    hazard_types: frozenset[str] = frozenset(IncidentType.values) - EVIDENCE_TYPES
    hysteresis_days: int = 7
    lifted_shown_days: int = 14
    # Reports not yet verified raise an area at most this far, unless this many organizations
    # report in the same area and window (one organization alone cannot raise an oblast).
    unverified_level_cap: str = StatusLevel.ADVISORY
    corroborating_organizations: int = 2
    # A count of children below this is withheld from roles below coordinator (a setting, not
    # the policy: it protects children, it does not judge danger).
    small_child_count: int = 20
    # The level each kind of the official list gives while in force (a kind not listed: normal).
    designation_levels: Mapping[str, str] = field(default_factory=lambda: dict(DESIGNATION_LEVEL_DEFAULTS))
    # An open-ended order unconfirmed this long is "to confirm" (its level stays).
    order_review_days: int = 90

    @classmethod
    def from_policy(cls, policy, *, small_child_count: int = small_child_count) -> PolicyRules:
        return cls(
            designation_levels={kind: getattr(policy, name) for kind, name in DESIGNATION_LEVEL_FIELDS.items()},
            small_child_count=small_child_count,
            window_days=policy.incident_window_days,
            type_weights={str(key): float(value) for key, value in policy.incident_type_weights.items()},
            casualty_weight=policy.casualty_weight,
            advisory_threshold=policy.advisory_threshold,
            recommended_threshold=policy.recommended_threshold,
            counted_states=frozenset(policy.counted_states),
            hazard_types=frozenset(policy.hazard_types),
            hysteresis_days=policy.hysteresis_days,
            lifted_shown_days=policy.lifted_shown_days,
            unverified_level_cap=policy.unverified_level_cap,
            corroborating_organizations=policy.corroborating_organizations,
            order_review_days=policy.order_review_days,
        )

    def level_for_score(self, score: float) -> str:
        if score > 0 and score >= self.recommended_threshold:
            return StatusLevel.EVACUATION_RECOMMENDED
        if score > 0 and score >= self.advisory_threshold:
            return StatusLevel.ADVISORY
        return StatusLevel.NORMAL

    def incident_lookback_days(self) -> int:
        """How far back incidents can still matter at as_of: the window plus the hysteresis."""
        return self.window_days + self.hysteresis_days


@dataclass(frozen=True)
class OrderFact:
    """One order as it applies through one of its targets."""

    uid: str
    kind: str
    population_group: str
    authority: str
    state: str
    effective_from: datetime.date
    effective_until: datetime.date | None
    lifted_on: datetime.date | None
    people_subject: int | None
    children_subject: int | None
    target_code: str
    target_scope: str
    # Its life cycle (reports.lifecycle); superseded_from: the earliest effective_from of the
    # orders (not drafts) that replace it, None when none does.
    issued_on: datetime.date | None = None
    confirmed_on: datetime.date | None = None
    review_on: datetime.date | None = None
    superseded_from: datetime.date | None = None
    people_subject_qualifier: str | None = None
    children_subject_qualifier: str | None = None
    # A `part` target's note ("left bank") and the name of its area, for the reason.
    target_note: str = ""
    target_name: str = ""
    # When the order states a figure for several targets together: the code of the lowest area
    # holding all of them, where that figure is counted once (see area_result). None otherwise.
    shared_at: str | None = None
    effective_from_precision: str = DatePrecision.DAY

    @property
    def people_figure(self) -> Figure | None:
        return (
            None
            if self.people_subject is None
            else Figure(self.people_subject, 0, False, self.people_subject_qualifier)
        )

    @property
    def children_figure(self) -> Figure | None:
        return (
            None
            if self.children_subject is None
            else Figure(self.children_subject, 0, False, self.children_subject_qualifier)
        )


@dataclass(frozen=True)
class DesignationFact:
    uid: str
    kind: str
    valid_from: datetime.date
    valid_until: datetime.date | None
    area_code: str
    valid_from_precision: str = DatePrecision.DAY


@dataclass(frozen=True)
class IncidentFact:
    uid: str
    occurred_on: datetime.date
    incident_type: str
    verification_state: str
    # The casualties that score (incident_casualties): civilians where the source splits them.
    casualties: int = 0
    organization_id: int | None = None
    kind: str = IncidentKind.EVENT
    # A pattern's last day; None: one day. Events count on occurred_on alone.
    occurred_until: datetime.date | None = None
    # Whether `casualties` counts civilians only (the source split them) for at least one figure.
    civilian_split: bool = False

    @property
    def last_day(self) -> datetime.date:
        """The last day the incident counts on: a pattern's range end, else occurred_on."""
        if self.kind == IncidentKind.PATTERN and self.occurred_until is not None:
            return self.occurred_until
        return self.occurred_on


def incident_casualties(
    fatalities: int | None, injured: int | None, civilians_killed: int | None, civilians_injured: int | None
) -> tuple[int, bool]:
    """(casualties that score, whether civilians alone were counted for some figure).

    Killed and injured each count their civilians where the source gave them, else their total
    (rows from before the split keep their score); an unknown figure counts nothing.
    """
    killed = civilians_killed if civilians_killed is not None else fatalities
    hurt = civilians_injured if civilians_injured is not None else injured
    split = civilians_killed is not None or civilians_injured is not None
    return (killed or 0) + (hurt or 0), split


@dataclass
class AreaInputs:
    """Everything that applies to one area itself (its children come in through the roll-up)."""

    code: str = ""
    designations: Sequence[DesignationFact] = ()
    # Orders that cover the area, through a subtree target above it or any target on it.
    orders: Sequence[OrderFact] = ()
    incidents: Sequence[IncidentFact] = ()
    # The area's own counts (latest 'present', else latest baseline); None when no source gave one.
    people_present: int | None = None
    children_present: int | None = None
    # Their qualifiers (exact when not given) and the kind of count the people figure came from.
    people_present_qualifier: str | None = None
    children_present_qualifier: str | None = None
    people_present_basis: str | None = None
    # Orders that state a figure for several targets whose lowest common area is this one, each
    # with the codes of this area's children that hold its targets (area_result).
    shared_orders: Sequence[SharedFigure] = ()


@dataclass(frozen=True)
class SharedFigure:
    order: OrderFact
    branches: frozenset[str]


@dataclass(frozen=True)
class Figure:
    """A count, its qualifier and how many parts of it are unknown: (None, n) means nothing is known.

    The qualifier (reports' Qualifier: exact, approximate, at_least, at_most) says what the known
    value is; None exactly when the value is None. A known value given without one is exact.
    """

    value: int | None
    missing: int
    # Children figures only: roles below coordinator may not see it, because it is a small count
    # or a figure of the same kind somewhere below the area is one (a sum would give it away).
    withheld: bool = False
    qualifier: str | None = None
    # People present only: the kind of count it comes from — "present", "baseline" (pre-war), or
    # "mixed" for a sum of both; None when unknown.
    basis: str | None = None

    def __post_init__(self):
        if self.value is None:
            object.__setattr__(self, "qualifier", None)
        elif not self.qualifier:
            object.__setattr__(self, "qualifier", Qualifier.EXACT)

    @property
    def complete(self) -> bool:
        return self.value is not None and self.missing == 0


UNKNOWN = Figure(None, 1)
ZERO = Figure(0, 0)
# A sum of nothing: the identity of add_figures alongside ZERO.
NOTHING = Figure(None, 0)


def add_figures(a: Figure, b: Figure) -> Figure:
    """The one algebra of figures (docs/STATUS.md, "Figures and their qualifiers").

    Values add; unknown parts are never a value, they add to `missing`. Qualifiers:

    - exact + exact = exact; at least + at least = at least; at most + at most = at most;
    - anything else → approximately (approximately absorbs everything);
    - an exact 0 adds nothing, so it keeps the other's qualifier (a village no order covers does
      not turn "at least 600 children" into "about 600"); an unknown part has no qualifier.

    The qualifier of a sum is thus the join of the qualifiers of its known parts other than exact
    zeros, whatever the grouping: commutative and associative, with NOTHING the identity and ZERO
    that of every known figure
    (tests/status/test_figures.py checks this by property). Withheld marks are not summed here
    (area_result marks sums over withheld figures). Bases add like qualifiers: the same basis
    stays, two different ones make "mixed".
    """
    if a.value is None:
        value, qualifier = b.value, b.qualifier
    elif b.value is None:
        value, qualifier = a.value, a.qualifier
    else:
        value = a.value + b.value
        if _is_exact_zero(a):
            qualifier = b.qualifier
        elif _is_exact_zero(b) or a.qualifier == b.qualifier:
            qualifier = a.qualifier
        else:
            qualifier = Qualifier.APPROXIMATE
    basis = a.basis if b.basis is None or a.basis == b.basis else b.basis if a.basis is None else PresentBasis.MIXED
    return Figure(value, a.missing + b.missing, False, qualifier, basis)


def _is_exact_zero(figure: Figure) -> bool:
    return figure.value == 0 and figure.qualifier == Qualifier.EXACT


FIGURE_NAMES = ("people_present", "children_present", "people_subject", "children_subject")
QUALIFIER_FIELDS = (*(f"{name}_qualifier" for name in FIGURE_NAMES), "people_present_basis")


@dataclass(frozen=True)
class Figures:
    people_present: Figure = UNKNOWN
    children_present: Figure = UNKNOWN
    people_subject: Figure = ZERO
    children_subject: Figure = ZERO

    @functools.cached_property
    def _fields(self) -> dict:
        fields = {}
        for name in FIGURE_NAMES:
            figure = getattr(self, name)
            fields[name] = figure.value
            fields[f"{name}_missing"] = figure.missing
        fields["children_withheld"] = CHILDREN_WITHHELD[self.children_present.withheld, self.children_subject.withheld]
        for name in FIGURE_NAMES:
            fields[f"{name}_qualifier"] = getattr(self, name).qualifier or ""
        fields["people_present_basis"] = self.people_present.basis or ""
        return fields

    @functools.cached_property
    def digest_fields(self) -> dict:
        """What the stored digest holds of the figures: qualifiers and the basis only where they say
        more than the default (exact for a known figure, nothing for an unknown one), so a status
        digested before figures carried qualifiers keeps its digest when all its figures are exact."""
        fields = {key: value for key, value in self._fields.items() if key not in QUALIFIER_FIELDS}
        said = {}
        for name in FIGURE_NAMES:
            figure = getattr(self, name)
            if figure.qualifier not in (None, Qualifier.EXACT):
                said[f"{name}_qualifier"] = figure.qualifier
        if self.people_present.basis:
            said["people_present_basis"] = self.people_present.basis
        if said:
            fields["qualifiers"] = said
        return fields

    def as_fields(self) -> dict:
        """The model fields (value and missing count per figure); a fresh dict each call."""
        return dict(self._fields)


@dataclass(frozen=True)
class Evaluation:
    level: str
    score: float
    reasons: list
    # What applies to the whole population, and the groups an order puts worse off than that.
    level_for_everyone: str = StatusLevel.NORMAL
    group_levels: Mapping[str, str] = field(default_factory=dict)
    # Whether the area's own orders oblige everyone / children to leave: drives the figures.
    covers_everyone: bool = False
    covers_children: bool = False
    any_order: bool = False
    # The authority's figures for exactly this area (an order's only target, or the lowest area
    # holding all of an order's targets), and the children of this area that such a shared figure
    # stands for.
    stated_people: Figure | None = None
    stated_children: Figure | None = None
    shared_people: Figure | None = None
    shared_children: Figure | None = None
    shared_branches: frozenset[str] = frozenset()
    # The first day after as_of on which the same inputs could judge differently (a window or a
    # hold ends, an order or designation runs out); None when nothing here depends on the date.
    recheck_on: datetime.date | None = None


@dataclass(frozen=True)
class ChildStatus:
    """What a parent needs of a child: its levels, score and figures."""

    code: str
    name: str
    level: str
    score: float
    figures: Figures
    # None: the child's level applies to everyone (no group named).
    level_for_everyone: str | None = None
    group_levels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        if self.level_for_everyone is None:
            object.__setattr__(self, "level_for_everyone", self.level)


@dataclass(frozen=True)
class AreaResult:
    level: str
    score: float
    reasons: list
    figures: Figures
    recheck_on: datetime.date | None = None
    # None: `level` applies to everyone (no group named).
    level_for_everyone: str | None = None
    group_levels: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self):
        if self.level_for_everyone is None:
            object.__setattr__(self, "level_for_everyone", self.level)

    def digests(self, cache: dict | None = None) -> tuple[str, str]:
        """(digest of everything stored, digest of levels + reasons): what decides a write and a history row.

        `cache` (keyed by the reasons list's identity) saves serializing reasons shared by many areas.
        """
        groups = tuple(sorted(self.group_levels.items()))
        key = (self.level, self.level_for_everyone, groups, id(self.reasons))
        change = cache.get(key) if cache is not None else None
        if change is None:
            # Without a group, level_for_everyone is the level: such a status digests as it did
            # before groups were judged, so stored rows without one are not rewritten as changed.
            parts = (
                [self.level, self.reasons]
                if not groups
                else [self.level, self.reasons, self.level_for_everyone, groups]
            )
            change = orjson.dumps(parts, option=orjson.OPT_SORT_KEYS)
            if cache is not None:
                cache[key] = change
        whole = orjson.dumps([self.score, self.figures.digest_fields, self.recheck_on], option=orjson.OPT_SORT_KEYS)
        change_digest = hashlib.sha1(change, usedforsecurity=False).hexdigest()
        return hashlib.sha1(change + whole, usedforsecurity=False).hexdigest(), change_digest


# --- rules on single facts ---------------------------------------------------------------


def order_in_force(order: OrderFact, as_of: datetime.date) -> bool:
    if order.state == OrderState.DRAFT or order.effective_from > as_of:
        return False
    if order.lifted_on is not None and order.lifted_on <= as_of:
        return False
    if order.superseded_from is not None and order.superseded_from <= as_of:
        return False
    if order.effective_until is not None and order.effective_until < as_of:
        return False
    # Expired without an end date: we cannot tell when it ended, so it no longer counts.
    return not (order.state == OrderState.EXPIRED and order.effective_until is None)


def order_ended_on(order: OrderFact, as_of: datetime.date) -> tuple[datetime.date, str] | None:
    """(the day it stopped, "lifted" | "expired" | "superseded") for an order that ended on or
    before as_of; the first of them when several did."""
    if order.state == OrderState.DRAFT or order.effective_from > as_of:
        return None
    endings = []
    if order.lifted_on is not None and order.lifted_on <= as_of:
        endings.append((order.lifted_on, "lifted"))
    if order.effective_until is not None and order.effective_until < as_of:
        endings.append((order.effective_until + DAY, "expired"))
    if order.superseded_from is not None and order.superseded_from <= as_of:
        endings.append((order.superseded_from, "superseded"))
    return min(endings, default=None)


def precision_last_day(day: datetime.date, precision: str) -> datetime.date:
    """The last day a start date known only to this precision can have been.

    The stored date is read as the first possible day (the seeds store "February 2022" for
    Kupiansk's fall as 2022-02-24, the invasion's first day): a fact counts from it, and until the
    end of its week (6 days on), month or year it is uncertain whether it had started yet.
    """
    if precision == DatePrecision.WEEK:
        return day + datetime.timedelta(days=6)
    if precision == DatePrecision.MONTH:
        following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        return following - DAY
    if precision == DatePrecision.YEAR:
        return day.replace(month=12, day=31)
    return day


def _mark_precision(reason: dict, day: datetime.date, precision: str, as_of: datetime.date) -> datetime.date | None:
    """Put the start's precision in the reason, and `uncertain` while as_of is inside its span;
    the day after the span, to recheck on (the reason changes then). Day-precise starts add
    nothing, so their reasons digest as before."""
    if not precision or precision == DatePrecision.DAY:
        return None
    reason["since_precision"] = precision
    last = precision_last_day(day, precision)
    if as_of <= last:
        reason["uncertain"] = True
    return last + DAY


def designation_in_force(designation: DesignationFact, as_of: datetime.date) -> bool:
    return designation.valid_from <= as_of and (designation.valid_until is None or designation.valid_until >= as_of)


def incident_points(incident: IncidentFact, rules: PolicyRules) -> float:
    """What one incident adds to a window: nothing unless its type is a hazard of the policy."""
    if incident.incident_type not in rules.hazard_types:
        return 0.0
    return rules.type_weights.get(incident.incident_type, 0.0) + rules.casualty_weight * incident.casualties


def worse(a: str, b: str) -> str:
    return a if LEVEL_RANK[a] >= LEVEL_RANK[b] else b


def _corroborated_level(rules: PolicyRules, score: float, verified_score: float, organizations: set) -> tuple:
    """(level, the level the score alone would give when the corroboration rule held it down, else None).

    Above the policy's cap, reports not yet verified count only when enough organizations
    reported in the area within the window; verified reports always count in full.
    """
    level = rules.level_for_score(score)
    if (
        LEVEL_RANK[level] <= LEVEL_RANK[rules.unverified_level_cap]
        or len(organizations) >= rules.corroborating_organizations
    ):
        return level, None
    held = worse(rules.level_for_score(verified_score), rules.unverified_level_cap)
    return (held, level) if held != level else (level, None)


# --- one area ------------------------------------------------------------------------------


def _incident_reason(incidents: Iterable[IncidentFact], rules: PolicyRules, as_of: datetime.date):
    """(level, current score, reason or None, recheck dates) from incidents, with the hysteresis hold."""
    window, hold = rules.window_days, rules.hysteresis_days
    # points[n]: what the events of day as_of - n score, for every day that can still matter.
    # verified[n]: the part of it verified reports score; organizations[n]: who reported that day.
    points = [0.0] * (window + hold)
    verified = [0.0] * (window + hold)
    organizations: list[set] = [set() for _day in range(window + hold)]
    # A pattern scores once in each window its days overlap, so it is kept whole rather than by
    # day: (newest day back, oldest day back, points, verified points, organization).
    patterns: list[tuple] = []
    current = []  # the hazards in the window ending at as_of
    context: dict[str, int] = defaultdict(int)  # the other types in that window, by type
    context_ends = []
    for incident in incidents:
        newest, oldest = (as_of - incident.last_day).days, (as_of - incident.occurred_on).days
        if incident.verification_state not in rules.counted_states or oldest < 0 or newest >= window + hold:
            continue
        newest = max(newest, 0)
        if incident.incident_type not in rules.hazard_types:
            if newest < window:
                context[incident.incident_type] += 1
                context_ends.append(incident.last_day + datetime.timedelta(days=window))
            continue
        incident_score = incident_points(incident, rules)
        verified_score = incident_score if incident.verification_state == VerificationState.VERIFIED else 0.0
        if incident.kind == IncidentKind.PATTERN:
            patterns.append((newest, oldest, incident_score, verified_score, incident.organization_id))
        else:
            points[oldest] += incident_score
            verified[oldest] += verified_score
            if incident.organization_id is not None:
                organizations[oldest].add(incident.organization_id)
        if newest < window:
            current.append(incident)
    if not (current or patterns or any(points) or any(organizations)) and not context:
        return StatusLevel.NORMAL, 0.0, None, ()

    def window_patterns(back: int) -> list[tuple]:
        """The patterns whose days overlap the window ending `back` days before as_of."""
        return [pattern for pattern in patterns if pattern[0] <= back + window - 1 and pattern[1] >= back]

    def window_score(back: int) -> float:
        return sum(points[back : back + window]) + sum(pattern[2] for pattern in window_patterns(back))

    def level_on(back: int) -> tuple:
        """((level, level before the corroboration rule held it down or None), reporting organizations)
        for the window ending `back` days before as_of."""
        score = window_score(back)
        if LEVEL_RANK[rules.level_for_score(score)] <= LEVEL_RANK[rules.unverified_level_cap]:
            return (rules.level_for_score(score), None), 0  # the rule cannot apply: no need to know who
        in_window = window_patterns(back)
        reporters = set().union(*organizations[back : back + window]) | {
            pattern[4] for pattern in in_window if pattern[4] is not None
        }
        verified_score = sum(verified[back : back + window]) + sum(pattern[3] for pattern in in_window)
        return _corroborated_level(rules, score, verified_score, reporters), len(reporters)

    score = round(window_score(0), 2)
    (level, held_down_from), reporters = level_on(0)
    held_level, held_until = level, None
    # The worst level any of the last `hysteresis_days` days reached still holds today.
    for back in range(1, hold + 1):
        past_level = level_on(back)[0][0]
        if LEVEL_RANK[past_level] > LEVEL_RANK[held_level]:
            held_level, held_until = past_level, as_of + datetime.timedelta(days=hold - back)
    # With the same incidents, the result changes only when one leaves the window or a hold ends.
    recheck = [incident.last_day + datetime.timedelta(days=window) for incident in current] + context_ends
    if held_until is not None:
        recheck.append(held_until + DAY)
    if not current and held_until is None and not context:
        return StatusLevel.NORMAL, 0.0, None, recheck
    # Newest first; a pattern by its first day, which stays the same from day to day (its last may
    # not be known yet at as_of).
    current.sort(key=lambda incident: (incident.occurred_on, incident.uid), reverse=True)
    by_state: dict[str, int] = defaultdict(int)
    for incident in current:
        by_state[incident.verification_state] += 1
    reason = {
        "kind": "incidents",
        "count": len(current),
        "by_state": dict(sorted(by_state.items())),
        "window_days": window,
        "latest_on": current[0].occurred_on.isoformat() if current else None,
        "uids": [incident.uid for incident in current[:INCIDENT_UIDS_SHOWN]],
        "held_level": held_level if held_until else None,
        "held_until": held_until.isoformat() if held_until else None,
    }
    # Only when there is something to say, so statuses without it digest as they did before.
    pattern_count = sum(incident.kind == IncidentKind.PATTERN for incident in current)
    if pattern_count:
        reason["patterns"] = pattern_count
    split_count = sum(incident.civilian_split for incident in current)
    if split_count:
        reason["civilian_split"] = split_count
    if context:
        reason["context"] = dict(sorted(context.items()))
    if held_down_from is not None and held_level == level:
        reason["held_down"] = {
            "rule": "corroboration",
            "level": held_down_from,
            "organizations": reporters,
            "required": rules.corroborating_organizations,
        }
    return held_level, score, reason, recheck


def evaluate(inputs: AreaInputs, rules: PolicyRules, as_of: datetime.date) -> Evaluation:
    """The area's own level, score and reasons at as_of, before its children are considered."""
    if not (inputs.designations or inputs.orders or inputs.incidents or inputs.shared_orders):
        return NOTHING_APPLIES
    everyone = StatusLevel.NORMAL  # what applies to the whole population
    by_group: dict[str, str] = {}  # what group orders add, group by group
    ranked = []  # (rank, order of kinds, date, uid, reason): a stable order for digests and sentences
    recheck = []  # the days on which one of these facts starts or stops counting
    for designation in inputs.designations:
        recheck += [designation.valid_from, designation.valid_until and designation.valid_until + DAY]
        if not designation_in_force(designation, as_of):
            continue
        caused = rules.designation_levels.get(designation.kind, StatusLevel.NORMAL)
        everyone = worse(everyone, caused)
        reason = {
            "kind": "designation",
            "designation": designation.kind,
            "uid": designation.uid,
            "area": designation.area_code,
            "since": designation.valid_from.isoformat(),
        }
        recheck.append(_mark_precision(reason, designation.valid_from, designation.valid_from_precision, as_of))
        ranked.append((LEVEL_RANK[caused], 0, reason["since"], designation.uid, reason))
    covers_everyone = covers_children = any_order = False
    stated_people = stated_children = None
    seen_orders = set()
    for order in inputs.orders:
        recheck += [
            order.effective_from,
            order.lifted_on,
            order.effective_until and order.effective_until + DAY,
            order.superseded_from,
            order.confirmed_on,  # a confirmation dated later is known from its day on
        ]
        if order_in_force(order, as_of):
            caused = ORDER_LEVEL.get(order.kind, StatusLevel.NORMAL)
            if order.population_group == PopulationGroup.EVERYONE:
                everyone = worse(everyone, caused)
            else:
                by_group[order.population_group] = worse(by_group.get(order.population_group, caused), caused)
            any_order = True
            part = order.target_scope == TargetScope.PART
            # Who is subject here is known from the area's own count only when the order covers
            # the whole area and its figure is not one given for several targets together: a part
            # target, or a target of such an order, is subject to it by an unknown number.
            counted_here = not part and order.shared_at in (None, inputs.code)
            covers_everyone |= counted_here and order.population_group == PopulationGroup.EVERYONE
            covers_children |= counted_here and order.population_group in CHILD_GROUPS
            if order.target_code == inputs.code and order.shared_at in (None, inputs.code):
                # The authority's own figure for exactly this area; overlapping orders over the
                # same area name the same people, so the largest is taken, never the sum.
                stated_people = _largest(stated_people, order.people_figure)
                stated_children = _largest(stated_children, order.children_figure)
            if order.uid in seen_orders:
                continue
            seen_orders.add(order.uid)
            reason = {
                "kind": "order",
                "order_kind": order.kind,
                "group": order.population_group,
                "uid": order.uid,
                "authority": order.authority,
                "area": order.target_code,
                "since": order.effective_from.isoformat(),
            }
            due = _to_confirm_from(order, rules, as_of)
            if due is not None and due <= as_of:
                # Present only when true, so the reasons of confirmed orders digest as before.
                reason["to_confirm"] = True
                reason["unconfirmed_since"] = unconfirmed_since(
                    effective_from=order.effective_from,
                    issued_on=order.issued_on,
                    confirmed_on=order.confirmed_on,
                    as_of=as_of,
                ).isoformat()
            recheck.append(due)
            if part:
                # Only part targets carry these, so the reasons of other orders keep their digest.
                reason["part"] = {"name": order.target_name, "note": order.target_note}
            recheck.append(_mark_precision(reason, order.effective_from, order.effective_from_precision, as_of))
            ranked.append((LEVEL_RANK[caused], 1, reason["since"], order.uid, reason))
            continue
        ended = order_ended_on(order, as_of)
        if ended is None or (as_of - ended[0]).days >= rules.lifted_shown_days or order.uid in seen_orders:
            continue
        recheck.append(ended[0] + datetime.timedelta(days=rules.lifted_shown_days))
        seen_orders.add(order.uid)
        reason = {
            "kind": "order_ended",
            "order_kind": order.kind,
            "uid": order.uid,
            "authority": order.authority,
            "area": order.target_code,
            "ended_on": ended[0].isoformat(),
            "how": ended[1],
        }
        ranked.append((-1, 3, reason["ended_on"], order.uid, reason))
    shared_people = shared_children = None
    shared_branches: frozenset[str] = frozenset()
    for shared in inputs.shared_orders:
        order = shared.order
        recheck += [order.effective_from, order.lifted_on, order.effective_until and order.effective_until + DAY]
        # Its level reaches this area through its targets' roll-up; here only its figure counts.
        if order_in_force(order, as_of):
            shared_people = _largest(shared_people, shared.order.people_figure)
            shared_children = _largest(shared_children, shared.order.children_figure)
            shared_branches |= shared.branches
    incident_level, score, incident_reason, incident_recheck = _incident_reason(inputs.incidents, rules, as_of)
    recheck += incident_recheck
    if incident_reason is not None:
        everyone = worse(everyone, incident_level)
        ranked.append((LEVEL_RANK[incident_level], 2, "", "", incident_reason))
    ranked.sort(key=lambda item: (-item[0], item[1], item[2], item[3]))
    group_levels = groups_worse_than(everyone, by_group)
    return Evaluation(
        level=functools.reduce(worse, group_levels.values(), everyone),
        score=score,
        reasons=[item[-1] for item in ranked],
        level_for_everyone=everyone,
        group_levels=group_levels,
        covers_everyone=covers_everyone,
        covers_children=covers_children,
        any_order=any_order,
        stated_people=stated_people,
        stated_children=stated_children,
        shared_people=shared_people,
        shared_children=shared_children,
        shared_branches=shared_branches,
        recheck_on=min((day for day in recheck if day and day > as_of), default=None),
    )


def _to_confirm_from(order: OrderFact, rules: PolicyRules, as_of: datetime.date) -> datetime.date | None:
    return to_confirm_from(
        effective_from=order.effective_from,
        effective_until=order.effective_until,
        issued_on=order.issued_on,
        confirmed_on=order.confirmed_on,
        review_on=order.review_on,
        review_days=rules.order_review_days,
        as_of=as_of,
    )


NOTHING_APPLIES = Evaluation(level=StatusLevel.NORMAL, score=0.0, reasons=[])


def groups_worse_than(everyone: str, by_group: Mapping[str, str]) -> dict[str, str]:
    """The groups whose level is worse than what applies to everyone, in the vocabulary's order:
    a group order no stronger than an order for everyone tells nobody anything more."""
    return {
        group: by_group[group]
        for group in sorted(by_group, key=lambda group: GROUP_ORDER.get(group, len(GROUP_ORDER)))
        if LEVEL_RANK[by_group[group]] > LEVEL_RANK[everyone]
    }


def _largest(a: Figure | None, b: Figure | None) -> Figure | None:
    if a is None:
        return b
    return a if b is None or a.value >= b.value else b


# --- roll-up -----------------------------------------------------------------------------


def sum_figures(parts: Iterable[Figure]) -> Figure:
    """The sum of the known parts by add_figures, and how many parts are unknown. Nothing known → None."""
    return functools.reduce(add_figures, parts, NOTHING)


def _own_or_sum(own: Figure, parts: Sequence[Figure]) -> Figure:
    if own.value is not None:
        return own
    if not parts:
        return UNKNOWN
    return sum_figures(parts)


def _present(value: int | None, qualifier: str | None, basis: str | None = None) -> Figure:
    return UNKNOWN if value is None else Figure(value, 0, False, qualifier, basis)


def area_result(
    own: Evaluation,
    inputs: AreaInputs,
    children: Sequence[ChildStatus],
    *,
    is_leaf: bool | None = None,
    small_child_count: int = PolicyRules.small_child_count,
) -> AreaResult:
    """Combine an area's own evaluation with its children's: worst level, figures without double counting.

    People subject to orders are counted per area without children (each once, however many
    orders cover it) and summed upwards (add_figures); an authority's stated figure for exactly the
    area it targets replaces the sum below it. A figure an order states for several targets is
    counted at the lowest area holding them all (`Evaluation.shared_*`): it replaces the subject
    figures of the children holding a target, the other children are added to it; the targets
    themselves are subject by an unknown number, and above the meeting area it is summed once. A
    `part` target's people subject are unknown unless stated. An area's own population count
    replaces its children's sum.

    A children figure is withheld (`Figure.withheld`) when it is under `small_child_count`, or when
    the same figure of any area below is withheld: every sum that holds a withheld count is withheld
    too, so it cannot be recovered by subtracting the visible parts. A children-subject zero where
    no order applies is no count of children (the orders are public) and is not withheld.
    """
    is_leaf = not children if is_leaf is None else is_leaf
    own_people = _present(inputs.people_present, inputs.people_present_qualifier, inputs.people_present_basis)
    own_children = _present(inputs.children_present, inputs.children_present_qualifier)
    if is_leaf and not children:
        # Most areas are settlements: no roll-up to do, only their own figures.
        people_present = own_people
        children_present = own_children
        if own_children.value is not None and own_children.value < small_child_count:
            children_present = dataclasses.replace(own_children, withheld=True)
        children_subject = _leaf_subject(own.covers_children, own.any_order, own.stated_children, children_present)
        return AreaResult(
            level=own.level,
            score=own.score,
            reasons=own.reasons,
            recheck_on=own.recheck_on,
            level_for_everyone=own.level_for_everyone,
            group_levels=own.group_levels,
            figures=Figures(
                people_present,
                children_present,
                _leaf_subject(own.covers_everyone, own.any_order, own.stated_people, people_present),
                _withhold(children_subject, small_child_count, counts_children=own.any_order, below=False),
            ),
        )
    # The evaluation's reasons may be shared with siblings: extended by copy, never in place.
    level, score, reasons = own.level, own.score, own.reasons
    everyone, by_group = own.level_for_everyone, dict(own.group_levels)
    worst_child = StatusLevel.NORMAL
    for child in children:
        worst_child = worse(worst_child, child.level)
        score = max(score, child.score)
        everyone = worse(everyone, child.level_for_everyone)
        for group, group_level in child.group_levels.items():
            by_group[group] = worse(by_group.get(group, group_level), group_level)
    if worst_child != StatusLevel.NORMAL:
        at_worst = sorted((child for child in children if child.level == worst_child), key=lambda c: (c.name, c.code))
        reasons = [
            *reasons,
            {
                "kind": "areas",
                "level": worst_child,
                "count": len(at_worst),
                "of": len(children),
                "areas": [{"code": c.code, "name": c.name} for c in at_worst[:CHILD_AREAS_SHOWN]],
            },
        ]
        level = worse(level, worst_child)
    people_present = _own_or_sum(own_people, [c.figures.people_present for c in children])
    children_present = _own_or_sum(own_children, [c.figures.children_present for c in children])
    if is_leaf:
        people_subject = _leaf_subject(own.covers_everyone, own.any_order, own.stated_people, people_present)
        children_subject = _leaf_subject(own.covers_children, own.any_order, own.stated_children, children_present)
    else:
        shared = own.shared_branches
        people_subject = _branch_subject(
            own.stated_people, own.covers_everyone, own_people, children, "people_subject", own.shared_people, shared
        )
        children_subject = _branch_subject(
            own.stated_children,
            own.covers_children,
            own_children,
            children,
            "children_subject",
            own.shared_children,
            shared,
        )
    children_present = _withhold(
        children_present,
        small_child_count,
        counts_children=True,
        below=any(child.figures.children_present.withheld for child in children),
    )
    children_subject = _withhold(
        children_subject,
        small_child_count,
        counts_children=own.any_order,
        below=any(child.figures.children_subject.withheld for child in children),
    )
    return AreaResult(
        level=level,
        score=round(score, 2),
        reasons=reasons,
        level_for_everyone=everyone,
        group_levels=groups_worse_than(everyone, by_group),
        figures=Figures(people_present, children_present, people_subject, children_subject),
        # Children judge their own dates: a child whose result changes brings its ancestors along.
        recheck_on=own.recheck_on,
    )


def _withhold(figure: Figure, small_child_count: int, *, counts_children: bool, below: bool) -> Figure:
    """The figure, withheld if it is a small count of children or a withheld figure is below it."""
    small = counts_children and figure.value is not None and figure.value < small_child_count
    withheld = figure.withheld or below or small
    return figure if withheld == figure.withheld else dataclasses.replace(figure, withheld=withheld)


def _subject(present: Figure) -> Figure:
    # Subject figures say how many, not from which kind of count.
    return present if present.basis is None else dataclasses.replace(present, basis=None)


def _leaf_subject(covered: bool, any_order: bool, stated: Figure | None, present: Figure) -> Figure:
    if stated is not None:
        return stated
    if covered:
        return _subject(present)
    # An order for another group (older people, people with limited mobility), an order for part
    # of the area, or one whose figure is given for several targets together covers some of
    # them, but no source says how many here: unknown, not zero.
    return UNKNOWN if any_order else ZERO


def _branch_subject(
    stated: Figure | None,
    covered: bool,
    own_present: Figure,
    children: Sequence[ChildStatus],
    attribute: str,
    shared: Figure | None,
    shared_branches: frozenset[str],
) -> Figure:
    if stated is not None:
        return stated
    if covered and own_present.value is not None:
        return _subject(own_present)
    parts = [getattr(child.figures, attribute) for child in children]
    if shared is not None:
        # An order's figure for several targets stands for the children holding them: counted
        # once here instead of their sums, never again above (docs/STATUS.md).
        parts = [getattr(child.figures, attribute) for child in children if child.code not in shared_branches] + [
            shared
        ]
    return sum_figures(parts)


# --- words ------------------------------------------------------------------------------------

GROUP_WORDS = {
    PopulationGroup.CHILDREN_WITH_GUARDIANS: "children with their parents or guardians",
    PopulationGroup.LIMITED_MOBILITY: "people with limited mobility or disabilities",
    PopulationGroup.ELDERLY: "older people",
    PopulationGroup.INSTITUTIONS: "people in institutions (hospitals, care homes)",
    PopulationGroup.FAMILIES_WITH_CHILDREN: "families with children",
}
# Who must leave, for a group whose level is worse than everyone's. Group orders are mandatory or
# recommended; the other levels never name a group but read plainly if one ever does.
GROUP_HEADLINE = {
    StatusLevel.EVACUATION_MANDATORY: "mandatory evacuation of {group}",
    StatusLevel.EVACUATION_RECOMMENDED: "evacuation recommended for {group}",
}
# Incident types as the context of an incidents reason names them.
CONTEXT_WORDS = {
    IncidentType.MASS_GRAVE: "mass grave discovered",
    IncidentType.DETENTION_SITE: "torture or detention site discovered",
}
# The list is legal context: the words say so, lest "active hostilities" read as a call to leave.
LEGAL_CONTEXT = " (official list: legal context, not an evacuation call)"
DESIGNATION_WORDS = {
    ControlKind.POSSIBLE_HOSTILITIES: "territory of possible hostilities",
    ControlKind.ACTIVE_HOSTILITIES: "territory of active hostilities",
    ControlKind.ACTIVE_HOSTILITIES_E_RESOURCES: "territory of active hostilities where state e-resources work",
    ControlKind.OCCUPIED: "temporarily occupied",
    ControlKind.ENCIRCLED: "encircled (blockaded)",
}
HOSTILITIES_KINDS = {
    ControlKind.POSSIBLE_HOSTILITIES,
    ControlKind.ACTIVE_HOSTILITIES,
    ControlKind.ACTIVE_HOSTILITIES_E_RESOURCES,
}


def since_words(reason: Mapping) -> str:
    """'2023-08-10'; 'February 2022, day unknown'; '…; perhaps not yet in force on this date' while
    as_of is inside the span the start is known to."""
    since, precision = reason["since"], reason.get("since_precision")
    if not precision or precision == DatePrecision.DAY:
        return since
    day = datetime.date.fromisoformat(since)
    if precision == DatePrecision.MONTH:
        words = f"{day:%B %Y}, day unknown"
    elif precision == DatePrecision.YEAR:
        words = f"{day.year}, day unknown"
    else:
        words = f"the week from {since}, day unknown"
    if reason.get("uncertain"):
        words += "; perhaps not yet in force on this date"
    return words


def _authority(name: str) -> str:
    return name if name.lower().startswith("the ") else f"the {name}"


def reason_words(reason: dict, level: str) -> str:
    kind = reason.get("kind")
    if kind == "designation":
        designation = reason["designation"]
        words = f"{DESIGNATION_WORDS.get(designation, designation)} since {since_words(reason)}"
        return words + LEGAL_CONTEXT if designation in HOSTILITIES_KINDS else words
    if kind == "order":
        matches_level = ORDER_LEVEL.get(reason["order_kind"]) == level
        prefix = "order" if matches_level else f"{reason['order_kind']} evacuation order"
        group = GROUP_WORDS.get(reason.get("group"))
        words = f"{prefix} of {_authority(reason['authority'])}"
        if group:
            words += f" for {group}"
        part = reason.get("part")
        if part:
            words += f" in part of {part['name'] or reason['area']}: {part['note']}"
        words += f", active since {since_words(reason)}"
        if reason.get("to_confirm"):
            words += f", not confirmed since {reason['unconfirmed_since']} (to confirm)"
        return words
    if kind == "order_ended":
        authority = _authority(reason["authority"])
        return f"{reason['order_kind']} evacuation order of {authority} {reason['how']} on {reason['ended_on']}"
    if kind == "incidents":
        states = ", ".join(f"{count} {state}" for state, count in reason["by_state"].items()) or "no qualifying"
        noun = "incident" if reason["count"] == 1 else "incidents"
        words = f"{states} {noun} in {reason['window_days']} days"
        if reason.get("patterns"):
            patterns = "a pattern" if reason["patterns"] == 1 else "patterns"
            words += f" ({reason['patterns']} of them {patterns} over a period)"
        if reason.get("civilian_split"):
            words += f", {reason['civilian_split']} scored on civilian casualties only"
        if reason.get("context"):
            listed = ", ".join(f"{count} {CONTEXT_WORDS.get(kind, kind)}" for kind, count in reason["context"].items())
            words += f"; not scored (not a present hazard under the policy): {listed}"
        if reason.get("held_until"):
            words += f"; kept at {LEVEL_HEADLINE[reason['held_level']].lower()} until {reason['held_until']}"
        held_down = reason.get("held_down")
        if held_down:
            reporters = held_down["organizations"]
            noun = "organization" if reporters == 1 else "organizations"
            words += (
                f"; held at {LEVEL_HEADLINE[level].lower()}: unverified reports from {reporters} {noun} "
                f"({LEVEL_HEADLINE[held_down['level']].lower()} needs {held_down['required']} organizations "
                "or verified reports)"
            )
        return words
    if kind == "areas":
        names = ", ".join(area["name"] for area in reason["areas"])
        more = reason["count"] - len(reason["areas"])
        if more > 0:
            names += f" and {more} more"
        return f"{reason['count']} of {reason['of']} areas below at {LEVEL_HEADLINE[reason['level']].lower()} ({names})"
    return str(reason)


def who_must_leave(level_for_everyone: str, group_levels: Mapping[str, str]) -> str:
    """The headline when an order names a group: each group's level, then what holds for everyone.

    'Mandatory evacuation of children with their parents or guardians; normal for everyone else'
    (nothing else applies), '…; evacuation recommended for everyone' (the rest must not stay either).
    """
    parts = [
        GROUP_HEADLINE.get(group_level, f"{LEVEL_HEADLINE.get(group_level, group_level).lower()} for {{group}}").format(
            group=GROUP_WORDS.get(group, group)
        )
        for group, group_level in group_levels.items()
    ]
    if level_for_everyone == StatusLevel.NORMAL:
        parts.append("normal for everyone else")
    else:
        parts.append(f"{LEVEL_HEADLINE.get(level_for_everyone, level_for_everyone).lower()} for everyone")
    text = "; ".join(parts)
    return text[0].upper() + text[1:]


def reasons_sentence(
    level: str,
    reasons: Sequence[dict],
    *,
    level_for_everyone: str | None = None,
    group_levels: Mapping[str, str] | None = None,
) -> str:
    """What a coordinator reads.

    'Mandatory evacuation: order of the …, active since …; 3 verified incidents in 14 days'. When
    an order names a group worse off than everyone, the headline says who must leave (who_must_leave).
    """
    headline = LEVEL_HEADLINE.get(level, level)
    if group_levels:
        headline = who_must_leave(level_for_everyone or StatusLevel.NORMAL, group_levels)
    if not reasons:
        return f"{headline}: nothing active."
    return f"{headline}: " + "; ".join(reason_words(reason, level) for reason in reasons)


# The dates a reason says something started or ended on.
REASON_DATES = ("since", "ended_on", "latest_on")


def reasons_took_effect_on(reasons: Sequence[Mapping], as_of: datetime.date) -> datetime.date:
    """The latest start or end date the reasons name, up to as_of: when a status judged on as_of
    took effect. as_of itself when they name none (a parent's roll-up, a return to normal)."""
    dates = [
        datetime.date.fromisoformat(reason[key])
        for reason in reasons
        for key in REASON_DATES
        if isinstance(reason.get(key), str)
    ]
    return max((date for date in dates if date <= as_of), default=as_of)


def settlement_distribution(groups: Iterable[tuple[str, int, int | None, int]]) -> dict[str, dict]:
    """How the settlements below an area spread over the levels: `{level: {"settlements": n,
    "people": sum, "people_missing": n}}`, every level listed, from (level, settlements, sum of
    the known people-present counts, settlements without a count) groups (a level may repeat).

    Above the settlement a worst-of level says little (two villages make an oblast "mandatory");
    this says how many places, and how many people, each level holds. When no settlement at a
    level has a count, `people` is None, not 0.
    """
    spread = {level: {"settlements": 0, "people": 0, "people_missing": 0} for level in StatusLevel.values}
    for level, settlements, people, missing in groups:
        entry = spread[level]
        entry["settlements"] += settlements
        entry["people"] += people or 0
        entry["people_missing"] += missing
    for entry in spread.values():
        if entry["settlements"] and entry["people_missing"] == entry["settlements"]:
            entry["people"] = None
    return spread


def distribution_words(spread: Mapping[str, dict]) -> str:
    """'Mandatory evacuation in 3 of 1,732 settlements (12,000 people counted, 1 without a count);
    advisory in 40 of 1,732 (no population count); the rest normal', worst level first."""
    total = sum(entry["settlements"] for entry in spread.values())
    parts = []
    for level in reversed(StatusLevel.values):
        entry = spread.get(level)
        if level == StatusLevel.NORMAL or not entry or not entry["settlements"]:
            continue
        headline = LEVEL_HEADLINE[level] if not parts else LEVEL_HEADLINE[level].lower()
        where = (
            f"{entry['settlements']:,} of {total:,} settlements"
            if not parts
            else f"{entry['settlements']:,} of {total:,}"
        )
        parts.append(f"{headline} in {where} ({_people_words(entry)})")
    if not parts:
        return f"Normal in all {total:,} settlements"
    return "; ".join(parts) + ("; the rest normal" if spread[StatusLevel.NORMAL]["settlements"] else "")


def _people_words(entry: Mapping) -> str:
    if entry["people"] is None:
        return "no population count"
    counted = f"{entry['people']:,} people"
    if entry["people_missing"]:
        return f"{counted} counted, {entry['people_missing']:,} without a count"
    return counted


QUALIFIER_WORDS = {
    Qualifier.EXACT: "",
    Qualifier.APPROXIMATE: "about ",
    Qualifier.AT_LEAST: "at least ",
    Qualifier.AT_MOST: "at most ",
}
BASIS_WORDS = {PresentBasis.BASELINE: "pre-war baseline", PresentBasis.MIXED: "partly pre-war baselines"}


def figure_words(value: int | None, qualifier: str | None, missing: int, noun: str) -> str | None:
    """'about 12,000 people', 'at least 600 children (2 areas without a figure)'; None when unknown."""
    if value is None:
        return None
    words = f"{QUALIFIER_WORDS.get(qualifier or '', '')}{value:,} {noun}"
    if missing:
        words += f" ({missing:,} {'area' if missing == 1 else 'areas'} without a figure)"
    return words


def figures_words(figures: Mapping) -> str:
    """The figures in the sentence, each with its qualifier: 'At most 12,000 people subject to
    orders, at least 600 of them children; 25,836 people present (pre-war baseline)'. Empty when
    nothing is known and nobody is subject. A figure withheld from the reader is passed as None
    and not named."""
    parts = []
    people = figure_words(
        figures.get("people_subject"),
        figures.get("people_subject_qualifier"),
        figures.get("people_subject_missing", 0),
        "people",
    )
    nobody = figures.get("people_subject") == 0 and not figures.get("people_subject_missing")
    if people and not nobody:
        words = f"{people} subject to orders"
        children = figure_words(
            figures.get("children_subject"),
            figures.get("children_subject_qualifier"),
            figures.get("children_subject_missing", 0),
            "of them children",
        )
        if children:
            words += f", {children}"
        parts.append(words)
    elif figures.get("people_subject") is None and figures.get("people_subject_missing"):
        parts.append("people subject to orders: unknown")
    present = figure_words(
        figures.get("people_present"),
        figures.get("people_present_qualifier"),
        figures.get("people_present_missing", 0),
        "people present",
    )
    if present:
        basis = BASIS_WORDS.get(figures.get("people_present_basis") or "")
        parts.append(f"{present} ({basis})" if basis else present)
    if not parts:
        return ""
    text = "; ".join(parts)
    return text[0].upper() + text[1:]
