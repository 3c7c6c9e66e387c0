"""Loads the curated article facts (seeds/data/*.yaml) through the services.

Idempotent: areas are keyed by code, sources by slug, facts by a uid derived from their
key, and a fact whose stored fields and citations already match is not written again (so
reloading adds no history rows either).
"""

import uuid
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import transaction

from evactrack.access.models import Organization
from evactrack.access.services import organization_upsert
from locations.models import Area, AreaAlias
from locations.services import area_alias_add, area_upsert
from reports.models import ControlDesignation, EvacuationOrder, Incident, PopulationCount, Source
from reports.services import (
    CitationInput,
    TargetInput,
    designation_create,
    designation_update,
    incident_create,
    incident_update,
    order_create,
    order_update,
    population_count_create,
    population_count_update,
    source_upsert,
)

SEED_FILE = Path(__file__).parent / "data" / "kupiansk.yaml"
# Fixed namespace: the same key gives the same uid on every machine, so partners that
# synced a seeded fact recognise it after a reload elsewhere.
SEED_NAMESPACE = uuid.UUID("6f1c8a52-8a0e-4d8e-9a39-0c3b1b7e5a10")


class SeedError(Exception):
    """A seed row that cannot be loaded; the message names the section and key."""


@dataclass
class SeedSummary:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    def count(self, outcome: str, kind: str) -> None:
        bucket = getattr(self, outcome)
        bucket[kind] = bucket.get(kind, 0) + 1

    def line(self) -> str:
        def total(bucket):
            return sum(bucket.values())

        return f"created {total(self.created)}, updated {total(self.updated)}, unchanged {total(self.unchanged)}"


def seed_uid(key: str) -> uuid.UUID:
    return uuid.uuid5(SEED_NAMESPACE, key)


@transaction.atomic
def seed_load(*, path: Path = SEED_FILE, actor=None) -> SeedSummary:
    """Load every area, source and fact of the seed file; all or nothing."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    loader = _Loader(actor=actor)
    for row in data["areas"]:
        loader.area(row)
    for row in data["organizations"]:
        loader.organization(row)
    for row in data["sources"]:
        loader.source(row)
    for section, model in [
        ("designations", ControlDesignation),
        ("incidents", Incident),
        ("orders", EvacuationOrder),
        ("population_counts", PopulationCount),
    ]:
        for row in data[section]:
            loader.fact(section, model, row)
    return loader.summary


class _Loader:
    def __init__(self, *, actor):
        self.actor = actor
        self.summary = SeedSummary()
        self.sources = {}

    def area(self, row: dict) -> None:
        row = dict(row)
        aliases = row.pop("aliases", [])
        parent_code = row.pop("parent", None)
        parent = Area.objects.get(code=parent_code) if parent_code else None
        with _naming("areas", row["code"]):
            before = _stored_area(row["code"])
            area, created = area_upsert(parent=parent, **row)
            for alias in aliases:
                area_alias_add(area=area, **alias)
        self.summary.count(_outcome(created, changed=before != _stored_area(row["code"])), "area")

    def organization(self, row: dict) -> None:
        with _naming("organizations", row["slug"]):
            _organization, created = organization_upsert(**row)
        self.summary.count("created" if created else "unchanged", "organization")

    def source(self, row: dict) -> None:
        row = dict(row)
        for name in ("summary", "title"):
            row[name] = " ".join(row[name].split())
        with _naming("sources", row["slug"]):
            source = Source.objects.filter(slug=row["slug"]).first()
            # Saving an unchanged source would still write a history row on every seed run.
            changed = source is None or any(getattr(source, name) != value for name, value in row.items())
            created = False
            if changed:
                source, created = source_upsert(actor=self.actor, **row)
        self.sources[source.slug] = source
        self.summary.count(_outcome(created, changed=changed), "source")

    def fact(self, section: str, model, row: dict) -> None:
        row = dict(row)
        key = row.pop("key")
        with _naming(section, key):
            citations = [_citation(c, self.sources) for c in row.pop("citations")]
            fields = self._resolve(row)
            fields["summary"] = " ".join(fields["summary"].split())
            existing = model.objects.filter(uid=seed_uid(key)).first()
            if existing is None:
                CREATE[model](uid=seed_uid(key), actor=self.actor, citations=citations, **fields)
                self.summary.count("created", section)
            elif _differs(existing, fields, citations):
                UPDATE[model](existing, actor=self.actor, citations=citations, **fields)
                self.summary.count("updated", section)
            else:
                self.summary.count("unchanged", section)

    def _resolve(self, row: dict) -> dict:
        """Turn codes and slugs into objects; areas are named by code only, never by name."""
        if "area" in row:
            row["area"] = _area(row["area"])
        if "issuer" in row:
            # The seed file names the organization; the order links it and keeps its name as the
            # issuing authority's text, so the two never disagree.
            issuer = Organization.objects.get(slug=row.pop("issuer"))
            row["issuing_organization"], row["issuing_authority"] = issuer, issuer.name
        if "reporting_organization" in row:
            row["reporting_organization"] = Organization.objects.get(slug=row["reporting_organization"])
        if "targets" in row:
            row["targets"] = [TargetInput(area=_area(t["area"]), scope=t["scope"]) for t in row["targets"]]
        if "destinations" in row:
            row["destinations"] = [_area(code) for code in row["destinations"]]
        return row


CITATION_KEYS = {"source", "locator", "note"}


def _citation(row: dict, sources: dict) -> CitationInput:
    """A citation of the seed file. In a YAML flow mapping an unquoted comma ends the note and
    makes the rest a key of its own ({note: About 12,000 people} is {"note": "About 12",
    "000 people": None}): an unknown key is refused instead of storing half a note."""
    unknown = set(row) - CITATION_KEYS
    if unknown:
        raise SeedError(
            f"citation {row.get('source')} {row.get('locator')}: unknown keys {sorted(unknown)} "
            "(quote a note that holds a comma)"
        )
    note = row.get("note", "")
    if not isinstance(note, str):
        raise SeedError(f"citation {row.get('source')} {row.get('locator')}: the note is not text (quote it)")
    return CitationInput(source=sources[row["source"]], locator=str(row["locator"]), note=note)


def _outcome(created: bool, *, changed: bool) -> str:
    return "created" if created else ("updated" if changed else "unchanged")


def _stored_area(code: str) -> dict | None:
    """The area's stored fields and spellings, to tell an update from a no-op."""
    stored = Area.objects.filter(code=code).values().first()
    if stored is not None:
        stored.pop("updated_at", None)
        stored["aliases"] = set(AreaAlias.objects.filter(area_id=stored["id"]).values_list("name", flat=True))
    return stored


def _area(code: str) -> Area:
    area = Area.objects.filter(code=code).first()
    if area is None:
        raise SeedError(f"unknown area code {code!r}")
    return area


def _differs(fact, fields: dict, citations: list[CitationInput]) -> bool:
    for name, value in fields.items():
        if name == "targets":
            stored = {(t.area_id, t.scope) for t in fact.targets.all()}
            if stored != {(t.area.pk, t.scope) for t in value}:
                return True
        elif name == "destinations":
            if set(fact.destination_areas.values_list("pk", flat=True)) != {a.pk for a in value}:
                return True
        elif getattr(fact, name) != value:
            return True
    stored_citations = set(fact.citations.values_list("source_id", "locator", "note"))
    return stored_citations != {(c.source.pk, c.locator, c.note) for c in citations}


CREATE = {
    Incident: incident_create,
    EvacuationOrder: order_create,
    PopulationCount: population_count_create,
    ControlDesignation: designation_create,
}
UPDATE = {
    Incident: lambda fact, **kw: incident_update(incident=fact, **kw),
    EvacuationOrder: lambda fact, **kw: order_update(order=fact, **kw),
    PopulationCount: lambda fact, **kw: population_count_update(count=fact, **kw),
    ControlDesignation: lambda fact, **kw: designation_update(designation=fact, **kw),
}


class _naming:
    """Re-raise any error of one seed row with the section and key that caused it."""

    def __init__(self, section: str, key: str):
        self.where = f"{section}[{key}]"

    def __enter__(self):
        return self

    def __exit__(self, exc_type, exc, tb):
        if exc is None:
            return False
        if isinstance(exc, ValidationError):
            raise SeedError(
                f"{self.where}: {exc.message_dict if hasattr(exc, 'error_dict') else exc.messages}"
            ) from exc
        # A TypeError names a field the section's service does not take (a misspelled key).
        if isinstance(exc, SeedError | KeyError | TypeError | Area.DoesNotExist | Organization.DoesNotExist):
            raise SeedError(f"{self.where}: {exc}") from exc
        return False
