"""Set-based recompute: a fixed number of queries load the inputs of a set of areas, the pure
engine judges them in memory, and only rows whose content changed are written.

Queries per run do not depend on the number of areas: areas, designations, orders (joined to
their targets), incidents in the window, population counts, current statuses, and (for an
incremental run) the stored statuses of the siblings a roll-up needs. Writes go in batches of
WRITE_BATCH rows, so a run writing fewer rows than that issues one statement per table.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

import orjson
from django.db import connection, transaction
from django.db.backends.signals import connection_created
from django.db.models import Count, OuterRef, Q, Subquery
from django.dispatch import receiver
from django.utils import timezone

from evactrack.status.choices import WITHHELD_CHILDREN, ChangeOrigin, StatusLevel
from evactrack.status.engine import (
    AreaInputs,
    AreaResult,
    ChildStatus,
    DesignationFact,
    Figure,
    Figures,
    IncidentFact,
    OrderFact,
    PolicyRules,
    SharedFigure,
    area_result,
    evaluate,
    incident_casualties,
)
from evactrack.status.inputs import (
    AREAS,
    DESIGNATIONS,
    INCIDENTS,
    ORDER_TARGETS,
    POPULATION_COUNTS,
    incidents_in_reach,
)
from evactrack.status.models import AreaStatus, StatusChange
from locations.models import PATH_SEPARATOR, Area
from reports.choices import ChangeType, CountKind, OrderState, TargetScope
from reports.models import ControlDesignation, EvacuationOrder, Incident, OrderTarget, PopulationCount
from reports.selectors import EVERYONE
from reports.services import changes_record

WRITE_BATCH = 1000
# Below this many rows (an incremental run writes a handful) a plain INSERT beats COPY and its
# temporary table; above it COPY wins by far.
COPY_FROM_ROWS = 500
# An area that never had a status reads as "normal, nothing to say": no history row is
# appended for it until something applies.
BLANK = AreaResult(level=StatusLevel.NORMAL, score=0.0, reasons=[], figures=Figures())
BLANK_CHANGE_DIGEST = BLANK.digests()[1]


@receiver(connection_created)
def _sqlite_parameters(sender, connection, **kwargs):
    """Let Django batch SQLite writes by the limit of the SQLite it runs on, not by 999.

    Django 5.2 assumes SQLite's old limit of 999 parameters a statement (SQLite before 3.32; 3.32
    and later allow 32,766, distributions often 250,000), so a status row of 20 columns went 49 to
    a statement and a write's statements grew with the number of rows.
    """
    if connection.vendor == "sqlite":
        import sqlite3

        limit = connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        connection.features.max_query_params = max(limit, connection.features.max_query_params)


@dataclass(frozen=True)
class Scope:
    """Which areas a run computes: all of them, one subtree, or some areas and their ancestors."""

    path: str | None = None
    area_ids: tuple[int, ...] | None = None

    @property
    def is_all(self) -> bool:
        return self.path is None and self.area_ids is None


@dataclass(frozen=True)
class AreaRow:
    id: int
    code: str
    parent_id: int | None
    path: str
    name: str

    @property
    def codes(self) -> list[str]:
        return self.path.rstrip(PATH_SEPARATOR).split(PATH_SEPARATOR)


@dataclass
class Computation:
    """The result of judging a set of areas at one date."""

    as_of: datetime.date
    areas: dict[int, AreaRow]
    # Every area of the tree: the stored statuses are read whole, not by a list of 30,000 ids.
    covers_all: bool = False
    # Children counts under this are withheld from partners, and so is every sum above them.
    small_child_count: int = PolicyRules.small_child_count
    inputs: dict[int, AreaInputs] = field(default_factory=dict)
    evaluations: dict = field(default_factory=dict)
    results: dict[int, AreaResult] = field(default_factory=dict)


def _codes_of(paths: Iterable[str]) -> list[str]:
    return sorted({code for path in paths for code in path.rstrip(PATH_SEPARATOR).split(PATH_SEPARATOR)})


def _load_areas(scope: Scope, ancestor_paths: Iterable[str] = ()) -> dict[int, AreaRow]:
    queryset = Area.objects.all()
    if scope.path is not None:
        queryset = queryset.filter(path__startswith=scope.path)
    elif scope.area_ids is not None:
        queryset = queryset.filter(Q(id__in=scope.area_ids) | Q(code__in=_codes_of(ancestor_paths)))
    rows = queryset.order_by().values_list("id", *AREAS.columns)
    return {row[0]: AreaRow(*row) for row in rows}


def _fact_filter(scope: Scope, areas: dict[int, AreaRow], *, inherited: bool) -> Q:
    """Which facts matter: those on the areas (and, for inherited facts, on their ancestors)."""
    if scope.is_all:
        return Q()
    if not inherited:
        if scope.path is not None:
            return Q(area__path__startswith=scope.path)
        return Q(area_id__in=list(areas))
    if scope.path is not None:
        return Q(area__path__startswith=scope.path) | Q(area__code__in=_codes_of([scope.path]))
    return Q(area__code__in=_codes_of(area.path for area in areas.values()))


def load_and_evaluate(
    *, scope: Scope, rules: PolicyRules, as_of: datetime.date, ancestor_paths: Iterable[str] = ()
) -> Computation:
    """Judge every area of the scope at as_of. Queries: 5 (+1 for an incremental scope)."""
    areas = _load_areas(scope, ancestor_paths)
    computation = Computation(
        as_of=as_of, areas=areas, covers_all=scope.is_all, small_child_count=rules.small_child_count
    )
    if not areas:
        return computation
    shown = datetime.timedelta(days=rules.lifted_shown_days)

    designations: dict[str, list[DesignationFact]] = defaultdict(list)
    designation_rows = (
        ControlDesignation.objects.filter(_fact_filter(scope, areas, inherited=True))
        .filter(valid_from__lte=as_of)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=as_of))
        .order_by()
        .values_list("area__code", *DESIGNATIONS.columns)
    )
    for code, uid, kind, valid_from, valid_until, valid_from_precision in designation_rows:
        designations[code].append(DesignationFact(str(uid), kind, valid_from, valid_until, code, valid_from_precision))

    # Orders in force, or ended recently enough to be named; the engine re-checks the dates.
    subtree_orders: dict[str, list[OrderFact]] = defaultdict(list)
    own_orders: dict[str, list[OrderFact]] = defaultdict(list)
    shared_orders: dict[str, list[SharedFigure]] = defaultdict(list)
    # How many areas each order targets: an authority's figure describes all its targets together,
    # so it is attributed to an area only when the order targets that area alone; otherwise it is
    # counted at the lowest area holding all the targets.
    target_count = (
        OrderTarget.objects.filter(order_id=OuterRef("order_id"))
        .order_by()
        .values("order_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    # The first day an order replacing it takes effect (drafts replace nothing).
    superseded_from = (
        EvacuationOrder.objects.filter(supersedes_id=OuterRef("order_id"))
        .exclude(state=OrderState.DRAFT)
        .order_by("effective_from")
        .values("effective_from")[:1]
    )
    order_filter = _fact_filter(scope, areas, inherited=True)
    if not scope.is_all:
        # Every target of an order whose figure is shared: where the targets meet can lie in the
        # scope when the targets do not (an incident elsewhere in the raion recomputes the raion).
        order_filter |= Q(order_id__in=_orders_with_shared_figures())
    order_rows = (
        OrderTarget.objects.filter(order_filter)
        .filter(
            order__state__in=[OrderState.ACTIVE, OrderState.LIFTED, OrderState.EXPIRED],
            order__effective_from__lte=as_of,
        )
        .filter(Q(order__lifted_on__isnull=True) | Q(order__lifted_on__gt=as_of - shown))
        .filter(Q(order__effective_until__isnull=True) | Q(order__effective_until__gte=as_of - shown))
        .annotate(targets_of_order=Subquery(target_count), superseded_from=Subquery(superseded_from))
        .order_by()
        .values_list(
            "area__code", "area__path", "area__name_en", *ORDER_TARGETS.columns, "targets_of_order", "superseded_from"
        )
    )
    # Orders whose figure is shared by several targets: each target's fact, with its path.
    shared: dict[str, list[tuple[str, OrderFact]]] = defaultdict(list)
    for code, path, name, *columns, targets_of_order, superseded in order_rows:
        row = dict(zip(ORDER_TARGETS.columns, columns, strict=True))
        order = OrderFact(
            uid=str(row["order__uid"]),
            kind=row["order__kind"],
            population_group=row["order__population_group"],
            authority=row["order__issuing_authority"],
            state=row["order__state"],
            effective_from=row["order__effective_from"],
            effective_until=row["order__effective_until"],
            lifted_on=row["order__lifted_on"],
            people_subject=row["order__people_subject"],
            children_subject=row["order__children_subject"],
            people_subject_qualifier=row["order__people_subject_qualifier"] or None,
            children_subject_qualifier=row["order__children_subject_qualifier"] or None,
            target_code=code,
            target_scope=row["scope"],
            target_note=row["note"],
            target_name=name,
            effective_from_precision=row["order__effective_from_precision"],
            issued_on=row["order__issued_on"],
            confirmed_on=row["order__confirmed_on"],
            review_on=row["order__review_on"],
            superseded_from=superseded,
        )
        if targets_of_order != 1 and (order.people_subject is not None or order.children_subject is not None):
            shared[order.uid].append((path, order))
            continue
        own_orders[order.target_code].append(order)
        if order.target_scope == TargetScope.SUBTREE:
            subtree_orders[order.target_code].append(order)
    for targets in shared.values():
        meeting, branches = _meeting_area([path for path, _order in targets])
        for _path, order in targets:
            order = dataclasses.replace(order, shared_at=meeting)
            own_orders[order.target_code].append(order)
            if order.target_scope == TargetScope.SUBTREE:
                subtree_orders[order.target_code].append(order)
        if branches:
            shared_orders[meeting].append(SharedFigure(targets[0][1], branches))

    incidents: dict[int, list[IncidentFact]] = defaultdict(list)
    first_day = as_of - datetime.timedelta(days=rules.incident_lookback_days() - 1)
    incident_rows = (
        Incident.objects.filter(_fact_filter(scope, areas, inherited=False))
        .filter(incidents_in_reach(first_day, as_of), verification_state__in=rules.counted_states)
        .order_by()
        .values_list("area_id", *INCIDENTS.columns)
    )
    for area_id, uid, occurred_on, incident_type, state, *figures, organization_id, kind, until in incident_rows:
        casualties, civilian_split = incident_casualties(*figures)
        incidents[area_id].append(
            IncidentFact(
                str(uid), occurred_on, incident_type, state, casualties, organization_id, kind, until, civilian_split
            )
        )

    # Present counts beat baselines; within a kind the latest reference date wins, figure by
    # figure (a count giving only children does not erase a known total).
    people: dict[int, dict[str, tuple]] = defaultdict(dict)
    kids: dict[int, dict[str, tuple]] = defaultdict(dict)
    count_rows = (
        PopulationCount.objects.filter(_fact_filter(scope, areas, inherited=False))
        .filter(kind__in=[CountKind.PRESENT, CountKind.BASELINE], reference_date__lte=as_of)
        .order_by("reference_date", "id")
        .values_list("area_id", *POPULATION_COUNTS.columns)
    )
    for area_id, kind, _reference_date, total, children, total_qualifier, children_qualifier in count_rows:
        if total is not None:
            people[area_id][kind] = (total, total_qualifier)
        if children is not None:
            kids[area_id][kind] = (children, children_qualifier)

    evaluations, inputs_by_area = computation.evaluations, computation.inputs
    # What an area inherits from its ancestors is the same for all its siblings: built once per
    # parent path (a hromada's 20 villages share one list) instead of once per area.
    inherited: dict[str, tuple[list, list]] = {}

    def inherited_from(parent_path: str) -> tuple[list, list]:
        found = inherited.get(parent_path)
        if found is None:
            codes = parent_path.rstrip(PATH_SEPARATOR).split(PATH_SEPARATOR) if parent_path else []
            found = (
                [d for code in codes for d in designations.get(code, ())],
                [order for code in codes for order in subtree_orders.get(code, ())],
            )
            inherited[parent_path] = found
        return found

    # Siblings with nothing of their own (no designation, order or incident on them) get the same
    # evaluation from what they inherit: judged once per parent, shared by the rest.
    shared: dict[str, object] = {}
    for area in areas.values():
        parent_path = area.path[: area.path.rfind(PATH_SEPARATOR, 0, len(area.path) - 1) + 1]
        inherited_designations, inherited_orders = inherited_from(parent_path)
        own_designations = designations.get(area.code)
        own = own_orders.get(area.code)
        area_incidents = incidents.get(area.id)
        people_present, people_qualifier, people_basis = _pick(people.get(area.id))
        children_present, children_qualifier, _basis = _pick(kids.get(area.id))
        area_shared = shared_orders.get(area.code, ())
        inputs = AreaInputs(
            code=area.code,
            designations=inherited_designations + own_designations if own_designations else inherited_designations,
            orders=inherited_orders + own if own else inherited_orders,
            incidents=area_incidents or (),
            people_present=people_present,
            children_present=children_present,
            people_present_qualifier=people_qualifier,
            children_present_qualifier=children_qualifier,
            people_present_basis=people_basis,
            shared_orders=area_shared,
        )
        inputs_by_area[area.id] = inputs
        if own_designations or own or area_incidents or area_shared:
            evaluations[area.id] = evaluate(inputs, rules, as_of)
            continue
        evaluation = shared.get(parent_path)
        if evaluation is None:
            evaluation = shared[parent_path] = evaluate(inputs, rules, as_of)
        evaluations[area.id] = evaluation
    return computation


def _orders_with_shared_figures():
    """The orders that state a figure for more than one target (few: a subquery, not a query)."""
    return (
        EvacuationOrder.objects.filter(Q(people_subject__isnull=False) | Q(children_subject__isnull=False))
        .annotate(targets_of_order=Count("targets"))
        .filter(targets_of_order__gt=1)
        .values("id")
    )


def _meeting_area(paths: list[str]) -> tuple[str, frozenset[str]]:
    """(the code of the lowest area holding every one of these paths, the codes of its children
    on the way to them). No children when the meeting area is itself one of the targets."""
    split = [path.rstrip(PATH_SEPARATOR).split(PATH_SEPARATOR) for path in paths]
    depth = 0
    while all(len(codes) > depth and codes[depth] == split[0][depth] for codes in split):
        depth += 1
    meeting = split[0][depth - 1]
    if any(len(codes) == depth for codes in split):
        return meeting, frozenset()
    return meeting, frozenset(codes[depth] for codes in split)


def _pick(by_kind: dict[str, tuple] | None) -> tuple:
    """(value, qualifier, kind) of the count to use: a present count, else a baseline."""
    if not by_kind:
        return None, None, None
    kind = CountKind.PRESENT if CountKind.PRESENT in by_kind else CountKind.BASELINE
    value, qualifier = by_kind[kind]
    return value, qualifier or None, kind


def roll_up(computation: Computation, *, outside_children: dict[int, list[ChildStatus]] | None = None) -> None:
    """Combine each area with its children, deepest first, so every parent sees finished children."""
    areas = computation.areas
    children_of: dict[int, list[int]] = defaultdict(list)
    for area in areas.values():
        if area.parent_id in areas:
            children_of[area.parent_id].append(area.id)
    outside_children = outside_children or {}
    order = sorted(areas.values(), key=lambda area: area.path.count(PATH_SEPARATOR), reverse=True)
    results = computation.results
    for area in order:
        children = [
            ChildStatus(
                areas[child].code,
                areas[child].name,
                results[child].level,
                results[child].score,
                results[child].figures,
                level_for_everyone=results[child].level_for_everyone,
                group_levels=results[child].group_levels,
            )
            for child in children_of.get(area.id, ())
        ]
        children += outside_children.get(area.id, ())
        results[area.id] = area_result(
            computation.evaluations[area.id],
            computation.inputs[area.id],
            children,
            small_child_count=computation.small_child_count,
        )


def load_outside_children(computation: Computation) -> dict[int, list[ChildStatus]]:
    """The stored statuses of children of the computed areas that are not computed themselves. 1 query."""
    ids = list(computation.areas)
    rows = (
        Area.objects.filter(parent_id__in=ids)
        .exclude(id__in=ids)
        .order_by()
        .values_list(
            "parent_id",
            "code",
            "name_en",
            "status__level",
            "status__level_for_everyone",
            "status__group_levels",
            "status__score",
            "status__people_present",
            "status__people_present_missing",
            "status__children_present",
            "status__children_present_missing",
            "status__people_subject",
            "status__people_subject_missing",
            "status__children_subject",
            "status__children_subject_missing",
            "status__children_withheld",
            "status__people_present_qualifier",
            "status__children_present_qualifier",
            "status__people_subject_qualifier",
            "status__children_subject_qualifier",
            "status__people_present_basis",
        )
    )
    outside: dict[int, list[ChildStatus]] = defaultdict(list)
    for parent_id, code, name, level, level_for_everyone, group_levels, score, *figures in rows:
        figures, children_withheld, qualifiers, basis = figures[:8], figures[8], figures[9:13], figures[13]
        if level is None:
            # Never computed yet: counts as normal with nothing known until the next full run.
            outside[parent_id].append(ChildStatus(code, name, StatusLevel.NORMAL, 0.0, Figures()))
            continue
        present_withheld, subject_withheld = WITHHELD_CHILDREN[children_withheld]
        withheld = [False, present_withheld, False, subject_withheld]
        values = [
            Figure(figures[i], figures[i + 1], withheld[i // 2], qualifiers[i // 2] or None, None)
            for i in range(0, 8, 2)
        ]
        values[0] = dataclasses.replace(values[0], basis=basis or None)
        outside[parent_id].append(
            ChildStatus(
                code,
                name,
                level,
                score,
                Figures(*values),
                level_for_everyone=level_for_everyone,
                group_levels=group_levels or {},
            )
        )
    return outside


def write_rows(model, rows: list[dict], *, upsert: bool = False) -> None:
    """Insert (or, with `upsert`, insert-or-update by primary key) these rows in a fixed number of statements.

    PostgreSQL, more than COPY_FROM_ROWS rows: COPY (into a temporary table first for an upsert),
    then one INSERT … ON CONFLICT. Django's bulk_create would send the JSON reasons as arrays for
    UNNEST, which psycopg escapes string by string: far slower at 30,000 rows. Otherwise:
    bulk_create in batches of WRITE_BATCH.
    """
    if not rows:
        return
    names = list(rows[0])
    if connection.vendor != "postgresql" or len(rows) <= COPY_FROM_ROWS:
        objects = [model(**row) for row in rows]
        if upsert:
            pk = model._meta.pk.name
            model.objects.bulk_create(
                objects,
                batch_size=WRITE_BATCH,
                update_conflicts=True,
                unique_fields=[pk],
                update_fields=[name for name in names if model._meta.get_field(name).name != pk and name != f"{pk}_id"],
            )
        else:
            model.objects.bulk_create(objects, batch_size=WRITE_BATCH)
        return
    fields = [model._meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name) for name in names]
    columns = [field.column for field in fields]
    json_columns = {index for index, field in enumerate(fields) if field.get_internal_type() == "JSONField"}
    quoted = ", ".join(connection.ops.quote_name(column) for column in columns)
    table = connection.ops.quote_name(model._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        target = table
        if upsert:
            target = "status_incoming"
            cursor.execute(f"DROP TABLE IF EXISTS {target}")
            cursor.execute(f"CREATE TEMPORARY TABLE {target} (LIKE {table} INCLUDING DEFAULTS) ON COMMIT DROP")
        with cursor.cursor.copy(f"COPY {target} ({quoted}) FROM STDIN") as copy:
            for row in rows:
                values = [row[name] for name in names]
                for index in json_columns:
                    values[index] = orjson.dumps(values[index]).decode()
                copy.write_row(values)
        if upsert:
            pk_column = connection.ops.quote_name(model._meta.pk.column)
            updates = ", ".join(
                f"{connection.ops.quote_name(column)} = EXCLUDED.{connection.ops.quote_name(column)}"
                for column in columns
                if column != model._meta.pk.column
            )
            cursor.execute(
                f"INSERT INTO {table} ({quoted}) SELECT {quoted} FROM {target} "
                f"ON CONFLICT ({pk_column}) DO UPDATE SET {updates}"
            )


def result_fields(result: AreaResult) -> dict:
    """The fields a status row and a history row share, from one result."""
    return {
        "level": result.level,
        "level_for_everyone": result.level_for_everyone,
        "group_levels": dict(result.group_levels),
        "score": result.score,
        "reasons": result.reasons,
        **result.figures.as_fields(),
    }


@dataclass
class WriteResult:
    rows_written: int = 0
    changes_appended: int = 0


def persist(computation: Computation, *, origin: str = ChangeOrigin.LIVE, record_changes: bool = True) -> WriteResult:
    """Write the rows whose content changed and append history where level or reasons changed.

    1 query to read the stored digests, then write_rows for the statuses and for the history.
    """
    if not computation.results:
        return WriteResult()
    stored_rows = AreaStatus.objects.all()
    if not computation.covers_all:
        stored_rows = stored_rows.filter(area_id__in=list(computation.results))
    stored = {
        area_id: (level, digest, change_digest)
        for area_id, level, digest, change_digest in stored_rows.order_by().values_list(
            "area_id", "level", "digest", "change_digest"
        )
    }
    now = timezone.now()
    rows, changes = [], []
    change_parts: dict = {}  # shared reasons lists are serialized once
    for area_id, result in computation.results.items():
        digest, change_digest = result.digests(change_parts)
        previous = stored.get(area_id)
        if previous is not None and previous[1] == digest:
            continue
        if (
            previous is None
            and change_digest == BLANK_CHANGE_DIGEST
            and result.figures == BLANK.figures
            and result.recheck_on is None
        ):
            # Nothing applies and nothing is known: an absent row already says so.
            continue
        common = {"area_id": area_id, **result_fields(result)}
        rows.append(
            {
                **common,
                "as_of": computation.as_of,
                "computed_at": now,
                "digest": digest,
                "change_digest": change_digest,
                "recheck_on": result.recheck_on,
            }
        )
        previous_change = previous[2] if previous else BLANK_CHANGE_DIGEST
        if record_changes and previous_change != change_digest:
            previous_level = previous[0] if previous else StatusLevel.NORMAL
            changes.append(
                {
                    **common,
                    "as_of": computation.as_of,
                    "previous_level": previous_level,
                    "origin": origin,
                    "recorded_at": now,
                }
            )
    write_rows(AreaStatus, rows, upsert=True)
    write_rows(StatusChange, changes)
    # The change feed's entries, in the transaction of the rows they announce: one per status
    # whose stored content changed (the digests above decided), none for an unchanged run.
    # Every role reads every area's status: the audience is everyone before and after.
    areas = computation.areas
    changes_record(
        type=ChangeType.AREA_STATUS, changes=[(areas[row["area_id"]].code, EVERYONE, EVERYONE) for row in rows]
    )
    return WriteResult(rows_written=len(rows), changes_appended=len(changes))
