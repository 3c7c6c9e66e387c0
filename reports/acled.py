"""Incidents from ACLED's public export (`manage.py import_acled FILE`), in ACLED's column layout.

ACLED's columns read: event_id_cnty, event_date (2023-08-10 or "10 August 2023"), time_precision
(1 day, 2 week, 3 month), event_type, sub_event_type, civilian_targeting, admin1, admin2, admin3,
location, latitude, longitude, geo_precision (1 exact, 2 near, 3 only the admin area), source,
fatalities; the others (actors, notes, timestamp …) are ignored. Decisions:

- **Types.** reports.choices.ACLED_TO_TYPE maps (event_type, sub_event_type) to ours. Event types
  it does not list (Protests, Riots, Strategic developments) are not violence we score: those rows
  are skipped and counted, not refused.
- **Places** are resolved by the gazetteer (locations.resolver.resolve): admin1 as an oblast, then
  admin2 as a raion within it, each used as `within` context when it resolves, then `location`
  within the narrowest, near the row's point. A location that does not resolve, or resolves
  ambiguously, is an error of its row with the candidates listed; nothing is guessed.
- **Casualties.** ACLED's fatalities are its conservative estimate: stored as fatalities "at
  least" n. ACLED writes 0 when no fatality was reported, which is not a count of none: 0 is
  stored as unknown (null). ACLED gives no injured. civilians_killed is set (to the fatalities,
  "at least") only when civilian_targeting says "Civilian targeting": the civilians were the
  target, so the dead are counted as civilians; otherwise it stays unknown, and the engine
  counts the total as for any row without the split.
- **Source.** One source, ACLED (slug `acled`), created on the first import. Each incident cites
  it with the event_id_cnty as locator, and ACLED's own source names in the citation note. The
  locator is the reference that makes a re-import idempotent: an event already cited is skipped,
  so running the same file twice writes nothing. A later ACLED revision of an event is not
  applied (skipped as already imported).
- **Summary** in our words, from the type, place and date; ACLED's `notes` are never copied.
- All or none: a file with any error writes nothing. Rows go through incident_create_many, so
  history, change entries and dirty marks are written as for any other import.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.db import transaction

from locations.choices import AreaLevel
from locations.resolver import resolve
from reports.choices import ACLED_CIVILIAN_TARGETING, ACLED_TO_TYPE, GeoPrecision
from reports.importing import read_table
from reports.models import Citation, Incident, Source
from reports.services import CitationInput, RowsInvalid, incident_create_many, source_upsert

ACLED_SOURCE_SLUG = "acled"
REQUIRED_COLUMNS = ("event_id_cnty", "event_date", "event_type", "sub_event_type", "admin1", "location")
TIME_PRECISION = {"1": "day", "2": "week", "3": "month"}
GEO_PRECISION = {"1": GeoPrecision.EXACT, "2": GeoPrecision.NEAR, "3": GeoPrecision.ADMIN_AREA}
DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%d/%m/%Y")


class AcledFileError(Exception):
    """The file as a whole cannot be read (not a table, required columns missing)."""


@dataclass
class AcledImport:
    """What an import did or, in a dry run, would do."""

    created: int = 0
    already_imported: int = 0
    skipped_types: dict[str, int] = field(default_factory=dict)
    # (row number as a spreadsheet shows it, column, message)
    errors: list[tuple[int, str, str]] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def line(self) -> str:
        skipped = sum(self.skipped_types.values())
        verb = "would create" if self.dry_run and self.ok else "created"
        return (
            f"ACLED import: {verb} {self.created} incidents, {self.already_imported} already imported, "
            f"{skipped} skipped (not our event types), {len(self.errors)} errors"
            + ("; nothing was written." if self.errors else ".")
        )


def _date(value: str) -> datetime.date:
    for pattern in DATE_FORMATS:
        try:
            return datetime.datetime.strptime(value.strip(), pattern).date()
        except ValueError:
            continue
    raise ValueError(f"not a date ACLED writes: {value!r}")


def _float(value: str) -> float | None:
    value = (value or "").strip()
    return float(value) if value else None


class _Places:
    """The gazetteer's answers, asked once per (admin1, admin2, location, point)."""

    def __init__(self):
        self.cache: dict = {}

    def context(self, text: str, level: str, within):
        key = ("context", text, level, within.pk if within is not None else None)
        if key not in self.cache:
            resolution = resolve(text, within=within, levels={level}) if text else None
            self.cache[key] = resolution.area if resolution is not None else None
        return self.cache[key]

    def area(self, row: dict, near):
        oblast = self.context(row.get("admin1", "").strip(), AreaLevel.OBLAST, None)
        raion = self.context(row.get("admin2", "").strip(), AreaLevel.RAION, oblast) if oblast else None
        within = raion or oblast
        location = row.get("location", "").strip()
        key = ("place", location, within.pk if within is not None else None, near)
        if key not in self.cache:
            self.cache[key] = resolve(location, within=within, near=near)
        return self.cache[key]


def acled_import(*, content: bytes, filename: str, dry_run: bool = False, actor=None) -> AcledImport:
    """Read an ACLED export and create its incidents (all or none); see the module's decisions."""
    header, rows = read_table(content, filename)
    missing = [column for column in REQUIRED_COLUMNS if column not in header]
    if missing:
        raise AcledFileError(f"The file lacks ACLED's columns: {', '.join(missing)}.")
    report = AcledImport(dry_run=dry_run)
    rows = list(rows)
    source = Source.objects.filter(slug=ACLED_SOURCE_SLUG).first()
    ids = {row.get("event_id_cnty", "").strip() for _number, row in rows}
    imported = set()
    if source is not None:
        imported = set(
            Citation.objects.filter(source=source, incident__isnull=False, locator__in=ids).values_list(
                "locator", flat=True
            )
        )
    places, seen, prepared = _Places(), set(), []
    for number, row in rows:
        errors_before = len(report.errors)

        def error(column, message, number=number):
            report.errors.append((number, column, message))

        event_id = row.get("event_id_cnty", "").strip()
        if not event_id:
            error("event_id_cnty", "Empty: ACLED's event id is the reference of the incident.")
            continue
        if event_id in seen:
            error("event_id_cnty", f"{event_id} is in the file twice.")
            continue
        seen.add(event_id)
        if event_id in imported:
            report.already_imported += 1
            continue
        event_type, sub_event_type = row.get("event_type", "").strip(), row.get("sub_event_type", "").strip()
        incident_type = ACLED_TO_TYPE.get((event_type, sub_event_type)) or ACLED_TO_TYPE.get((event_type, ""))
        if incident_type is None:
            report.skipped_types[event_type] = report.skipped_types.get(event_type, 0) + 1
            continue
        try:
            occurred_on = _date(row.get("event_date", ""))
        except ValueError as problem:
            error("event_date", str(problem))
        precision = TIME_PRECISION.get(row.get("time_precision", "").strip() or "1")
        if precision is None:
            error("time_precision", "Not 1, 2 or 3.")
        geo_precision = GEO_PRECISION.get(row.get("geo_precision", "").strip() or "3")
        if geo_precision is None:
            error("geo_precision", "Not 1, 2 or 3.")
        try:
            latitude, longitude = _float(row.get("latitude")), _float(row.get("longitude"))
        except ValueError:
            error("latitude", "Not a number.")
            latitude = longitude = None
        try:
            fatalities = int((row.get("fatalities") or "0").strip())
            if fatalities < 0:
                raise ValueError
        except ValueError:
            error("fatalities", "Not a whole number of 0 or more.")
            fatalities = 0
        near = (latitude, longitude) if latitude is not None and longitude is not None else None
        resolution = places.area(row, near)
        if resolution.area is None:
            listed = "; ".join(f"{c.area.code} {c.area.name_en} ({c.score:.2f})" for c in resolution.candidates[:5])
            what = "is ambiguous" if resolution.is_ambiguous else "is not in the gazetteer"
            error("location", f"{row.get('location', '').strip()!r} {what}" + (f": {listed}" if listed else "."))
        if len(report.errors) > errors_before:
            continue
        area = resolution.area
        known = fatalities or None  # ACLED's 0: none reported, not none killed
        civilians = known if row.get("civilian_targeting", "").strip() == ACLED_CIVILIAN_TARGETING else None
        label = Incident._meta.get_field("incident_type").choices
        type_words = dict(label)[incident_type]
        prepared.append(
            (
                number,
                {
                    "incident_type": incident_type,
                    "occurred_on": occurred_on,
                    "occurred_on_precision": precision,
                    "area": area,
                    "latitude": latitude,
                    "longitude": longitude,
                    "geo_precision": geo_precision,
                    "fatalities": known,
                    "fatalities_qualifier": "at_least" if known else "",
                    "civilians_killed": civilians,
                    "civilians_killed_qualifier": "at_least" if civilians else "",
                    "summary": f"{str(type_words).capitalize()} in {area.name_en} on {occurred_on.isoformat()}, "
                    f"as ACLED codes it ({event_type}: {sub_event_type or 'no sub-event type'}).",
                    "acled": (event_id, row.get("source", "").strip()),
                },
            )
        )
    if report.errors:
        return report
    report.created = len(prepared)
    if dry_run or not prepared:
        return report
    numbers = [number for number, _fields in prepared]
    try:
        with transaction.atomic():
            if source is None:
                source, _created = source_upsert(
                    slug=ACLED_SOURCE_SLUG,
                    title="Armed Conflict Location & Event Data (ACLED)",
                    publisher="ACLED",
                    url="https://acleddata.com/",
                    reliability="b",
                    summary="Event data on political violence, coded from media and partner reports.",
                    actor=actor,
                )
            incident_rows = []
            for _number, fields in prepared:
                event_id, their_sources = fields.pop("acled")
                note = f"ACLED's sources: {their_sources}"[:300] if their_sources else ""
                citation = CitationInput(source=source, locator=event_id, note=note)
                incident_rows.append({**fields, "citations": [citation]})
            incident_create_many(rows=incident_rows, actor=actor, change_reason=f"imported from ACLED file {filename}")
    except RowsInvalid as invalid:
        report.created = 0
        for index, fields in invalid.rows.items():
            for column, messages in fields.items():
                report.errors.extend((numbers[index], column, str(message)) for message in messages)
    return report
