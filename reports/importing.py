"""Spreadsheet imports (CSV or XLSX): incidents, population counts and order targets.

Each import runs in two steps. `check()` reads every row, turns it into the same keyword
arguments the services take, and validates it; it writes nothing and returns every error by
row and column. `save()` runs only on a file without errors, in one transaction: all rows or
none.

Incidents and counts come in thousands, so they use the services' bulk path: each row is
checked with reports.services.fact_errors (the model's rules, check constraints evaluated in
Python), then incident_create_many / population_count_create_many insert all rows with their
citations and history and mark their areas dirty once. Order targets go through
order_update, one order at a time.
"""

import copy
import csv
import datetime
import io
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from evactrack.access.models import Organization
from evactrack.kernel.db import DatePrecision
from locations.choices import AreaLevel
from locations.models import Area
from reports.choices import CONTROL_KIND_OFFICIAL_NAMES, ControlKind, TargetScope
from reports.models import ControlDesignation, EvacuationOrder, Incident, OrderTarget, PopulationCount, Source
from reports.services import (
    CitationInput,
    TargetInput,
    designation_create,
    designation_update,
    fact_errors,
    incident_create_many,
    order_update,
    population_count_create_many,
)

MAX_ROWS = 50_000


@dataclass
class RowError:
    row: int  # as the spreadsheet numbers it: the header is row 1
    column: str
    message: str


@dataclass
class ImportCheck:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    prepared: list = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors and self.rows > 0


class ImportFileError(Exception):
    """The file itself cannot be read: wrong format, no header, missing columns."""


# --- reading files -------------------------------------------------------------------------


def read_table(content: bytes, filename: str) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    """(header, iterator of (row number, {column: value})) from a CSV or XLSX file."""
    name = filename.lower()
    if name.endswith(".xlsx"):
        return _read_xlsx(content)
    if name.endswith(".csv") or name.endswith(".txt"):
        return _read_csv(content)
    raise ImportFileError(_("Upload a .csv or .xlsx file."))


def _read_csv(content: bytes):
    try:
        text = content.decode("utf-8-sig")  # Excel writes a BOM in "CSV UTF-8"
    except UnicodeDecodeError as error:
        raise ImportFileError(_("The CSV file is not UTF-8 text.")) from error
    if "\x00" in text:
        # No spreadsheet writes NUL into a CSV, and PostgreSQL would refuse it in any lookup.
        raise ImportFileError(_("The CSV file contains NUL characters: save it again as CSV UTF-8."))
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [column.strip().lower() for column in next(reader, [])]
        rows = [
            (number, dict(zip(header, values, strict=False)))
            for number, values in enumerate(reader, start=2)
            if any(value.strip() for value in values)
        ]
    except csv.Error as error:  # an overlong field, a broken quote
        raise ImportFileError(
            _("The CSV file cannot be read at line %(line)d: %(error)s") % {"line": reader.line_num, "error": error}
        ) from error
    return header, iter(rows)


def _read_xlsx(content: bytes):
    from openpyxl import load_workbook  # only imported when someone uploads a workbook

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds of errors for a bad file
        raise ImportFileError(_("The XLSX file cannot be read.")) from error
    sheet = workbook.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    header = [str(column or "").strip().lower() for column in next(lines, ())]
    rows = (
        (number, dict(zip(header, ("" if value is None else value for value in values), strict=False)))
        for number, values in enumerate(lines, start=2)
        if any(value not in (None, "") for value in values)
    )
    return header, rows


# --- cell parsing -------------------------------------------------------------------------------


class CellError(Exception):
    pass


def text(value) -> str:
    return "" if value is None else str(value).strip()


def parse_date(value) -> datetime.date | None:
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    value = text(value)
    if not value:
        return None
    try:
        return datetime.date.fromisoformat(value)
    except ValueError as error:
        raise CellError(_("Write dates as YYYY-MM-DD.")) from error


def parse_count(value) -> int | None:
    value = text(value).replace(" ", "").replace("\u00a0", "")
    if not value:
        return None  # unknown, not zero
    try:
        number = Decimal(value)
    except InvalidOperation as error:
        raise CellError(_("Not a whole number.")) from error
    if number != number.to_integral_value():
        raise CellError(_("Not a whole number."))
    return int(number)


def parse_float(value) -> float | None:
    value = text(value)
    if not value:
        return None
    try:
        return float(value.replace(",", "."))
    except ValueError as error:
        raise CellError(_("Not a number.")) from error


def parse_choice(value, model, name, *, default=None) -> str:
    """A choice by its stored value or its label, in any case ("Shelling or artillery")."""
    value = text(value)
    if not value:
        return default if default is not None else ""
    choices = model._meta.get_field(name).choices
    for stored, label in choices:
        if value.lower() in (stored, str(label).lower()):
            return stored
    raise CellError(_("Not one of: %(values)s.") % {"values": ", ".join(stored for stored, _label in choices)})


# --- the importers ---------------------------------------------------------------------------------


class Importer:
    """Turns rows into service arguments; subclasses name their columns and their service."""

    model = None
    required_columns: tuple[str, ...] = ()
    optional_columns: tuple[str, ...] = ()
    # The columns that cite a source; an export writes all of a row's citations in one column.
    citation_columns: tuple[str, ...] = ("source", "locator")

    @classmethod
    def fact_columns(cls) -> tuple[str, ...]:
        """The fact's own columns, in the import's order (uid and citations apart): the columns an
        export of the same rows writes, so that a spreadsheet's columns are declared once."""
        skipped = {*cls.citation_columns, "uid"}
        return tuple(column for column in (*cls.required_columns, *cls.optional_columns) if column not in skipped)

    # Model field (as the services name it in errors) → the column the user must fix.
    field_columns: dict[str, str] = {}

    def __init__(self, content: bytes, filename: str):
        self.content = content
        self.filename = filename

    def check(self) -> ImportCheck:
        header, rows = read_table(self.content, self.filename)
        missing = [column for column in self.required_columns if column not in header]
        if missing:
            raise ImportFileError(_("Missing columns: %(columns)s.") % {"columns": ", ".join(missing)})
        result = ImportCheck()
        rows = list(rows)
        if len(rows) > MAX_ROWS:
            raise ImportFileError(_("At most %(max)d rows per file.") % {"max": MAX_ROWS})
        self.load_references(rows)
        for number, row in rows:
            result.rows += 1
            errors: dict[str, list[str]] = {}
            prepared = self.prepare(row, errors)
            if not errors:
                self.validate(prepared, errors)
            for name, messages in errors.items():
                column = self.field_columns.get(name, name)
                result.errors += [RowError(number, column, message) for message in messages]
            if not errors:
                result.prepared.append((number, prepared))
        return result

    def cell(self, row, column, parse, errors, **kwargs):
        try:
            return parse(row.get(column, ""), **kwargs)
        except CellError as error:
            errors.setdefault(column, []).append(str(error))
            return None

    def lookup(self, row, column, table, errors, *, required=True, label=""):
        key = text(row.get(column, ""))
        if not key:
            if required:
                errors.setdefault(column, []).append(_("This column is required."))
            return None
        found = table.get(key.upper() if column.endswith("code") else key)
        if found is None:
            errors.setdefault(column, []).append(_("No %(what)s %(key)s.") % {"what": label, "key": key})
        return found

    def load_references(self, rows):
        raise NotImplementedError

    def prepare(self, row, errors):
        raise NotImplementedError

    def validate(self, prepared, errors):
        """Validate without writing; default: run the service in a savepoint and roll it back."""
        raise NotImplementedError

    @transaction.atomic
    def save(self, check: ImportCheck, *, actor) -> int:
        raise NotImplementedError


def _areas_by_code(rows, column="area_code"):
    codes = {text(row.get(column, "")).upper() for _number, row in rows} - {""}
    return {area.code: area for area in Area.objects.filter(code__in=codes)}


def _sources_by_slug(rows):
    slugs = {text(row.get("source", "")) for _number, row in rows} - {""}
    return {source.slug: source for source in Source.objects.filter(slug__in=slugs)}


FIGURES = ("fatalities", "injured", "civilians_killed", "civilians_injured", "children_killed", "children_injured")


class IncidentImporter(Importer):
    model = Incident
    required_columns = ("incident_type", "occurred_on", "area_code", "summary", "source")
    optional_columns = (
        "occurred_on_precision",
        "occurred_until",
        "kind",
        "discovered_on",
        "latitude",
        "longitude",
        "geo_precision",
        *[column for name in FIGURES for column in (name, f"{name}_qualifier")],
        "facility_type",
        "facility_name",
        "organization",
        "locator",
        "uid",
    )
    field_columns = {"area": "area_code", "reporting_organization": "organization", "citations": "source"}

    def load_references(self, rows):
        self.areas = _areas_by_code(rows)
        self.sources = _sources_by_slug(rows)
        slugs = {text(row.get("organization", "")) for _number, row in rows} - {""}
        self.organizations = {org.slug: org for org in Organization.objects.filter(slug__in=slugs)}
        uids = {text(row.get("uid", "")) for _number, row in rows} - {""}
        valid_uids = []
        for value in uids:
            try:
                valid_uids.append(uuid.UUID(value))
            except ValueError:
                continue
        self.existing_uids = {
            str(uid) for uid in Incident.objects.filter(uid__in=valid_uids).values_list("uid", flat=True)
        }
        self.seen_uids = set()

    def prepare(self, row, errors):
        fields = {
            "incident_type": self.cell(
                row, "incident_type", parse_choice, errors, model=Incident, name="incident_type"
            ),
            "occurred_on": self.cell(row, "occurred_on", parse_date, errors),
            "occurred_on_precision": self.cell(
                row,
                "occurred_on_precision",
                parse_choice,
                errors,
                model=Incident,
                name="occurred_on_precision",
                default="day",
            ),
            "occurred_until": self.cell(row, "occurred_until", parse_date, errors),
            "kind": self.cell(row, "kind", parse_choice, errors, model=Incident, name="kind", default="event"),
            "discovered_on": self.cell(row, "discovered_on", parse_date, errors),
            "area": self.lookup(row, "area_code", self.areas, errors, label=_("area with code")),
            "latitude": self.cell(row, "latitude", parse_float, errors),
            "longitude": self.cell(row, "longitude", parse_float, errors),
            "geo_precision": self.cell(
                row, "geo_precision", parse_choice, errors, model=Incident, name="geo_precision", default="admin_area"
            ),
            "facility_type": self.cell(
                row, "facility_type", parse_choice, errors, model=Incident, name="facility_type"
            ),
            "facility_name": text(row.get("facility_name", "")),
            "reporting_organization": self.lookup(
                row, "organization", self.organizations, errors, required=False, label=_("organization")
            ),
            "summary": text(row.get("summary", "")),
        }
        for name in FIGURES:
            fields[name] = self.cell(row, name, parse_count, errors)
            fields[f"{name}_qualifier"] = self.cell(
                row, f"{name}_qualifier", parse_choice, errors, model=Incident, name=f"{name}_qualifier"
            )
        source = self.lookup(row, "source", self.sources, errors, label=_("source with slug"))
        uid = text(row.get("uid", ""))
        if uid:
            try:
                uid = str(uuid.UUID(uid))
            except ValueError:
                errors.setdefault("uid", []).append(_("Not a UUID."))
            else:
                if uid in self.existing_uids or uid in self.seen_uids:
                    errors.setdefault("uid", []).append(_("An incident with this uid exists already."))
                self.seen_uids.add(uid)
        return {
            "fields": fields,
            "citation": CitationInput(source=source, locator=text(row.get("locator", ""))) if source else None,
            "uid": uid or None,
        }

    def validate(self, prepared, errors):
        incident = Incident(uid=prepared["uid"] or uuid.uuid4(), **prepared["fields"])
        _merge(errors, fact_errors(incident, citations=[prepared["citation"]]))

    def save(self, check: ImportCheck, *, actor) -> int:
        if not check.ok:
            raise ValidationError(_("The file has errors; nothing was imported."))
        rows = [
            {**prepared["fields"], "uid": prepared["uid"], "citations": [prepared["citation"]]}
            for _number, prepared in check.prepared
        ]
        reason = _("imported from %(file)s") % {"file": self.filename}
        return len(incident_create_many(rows=rows, actor=actor, change_reason=reason))


def _merge(errors: dict, more: dict) -> None:
    for name, messages in more.items():
        errors.setdefault(name, []).extend(message for message in messages if message not in errors.get(name, []))


class PopulationCountImporter(Importer):
    """Counts, checked and inserted in bulk like incidents."""

    model = PopulationCount
    required_columns = ("area_code", "kind", "reference_date", "method", "summary", "source")
    optional_columns = (
        "reference_date_precision",
        "total",
        "total_qualifier",
        "children",
        "children_qualifier",
        "locator",
    )
    field_columns = {"area": "area_code", "citations": "source"}

    def load_references(self, rows):
        self.areas = _areas_by_code(rows)
        self.sources = _sources_by_slug(rows)

    def prepare(self, row, errors):
        model = PopulationCount
        fields = {
            "area": self.lookup(row, "area_code", self.areas, errors, label=_("area with code")),
            "kind": self.cell(row, "kind", parse_choice, errors, model=model, name="kind"),
            "reference_date": self.cell(row, "reference_date", parse_date, errors),
            "reference_date_precision": self.cell(
                row,
                "reference_date_precision",
                parse_choice,
                errors,
                model=model,
                name="reference_date_precision",
                default="day",
            ),
            "method": self.cell(row, "method", parse_choice, errors, model=model, name="method"),
            "summary": text(row.get("summary", "")),
        }
        for name in ("total", "children"):
            fields[name] = self.cell(row, name, parse_count, errors)
            fields[f"{name}_qualifier"] = self.cell(
                row, f"{name}_qualifier", parse_choice, errors, model=model, name=f"{name}_qualifier"
            )
        source = self.lookup(row, "source", self.sources, errors, label=_("source with slug"))
        citation = CitationInput(source=source, locator=text(row.get("locator", ""))) if source else None
        return {"fields": fields, "citations": [citation]}

    def validate(self, prepared, errors):
        count = PopulationCount(**prepared["fields"])
        _merge(errors, fact_errors(count, citations=prepared["citations"]))

    def save(self, check: ImportCheck, *, actor) -> int:
        if not check.ok:
            raise ValidationError(_("The file has errors; nothing was imported."))
        rows = [{**prepared["fields"], "citations": prepared["citations"]} for _number, prepared in check.prepared]
        reason = _("imported from %(file)s") % {"file": self.filename}
        return len(population_count_create_many(rows=rows, actor=actor, change_reason=reason))


class OrderTargetImporter(Importer):
    """Which areas each order covers: one row per (order, area); an order's rows replace its targets."""

    model = EvacuationOrder
    required_columns = ("order_uid", "area_code")
    optional_columns = ("scope", "note")
    field_columns = {"area": "area_code", "targets": "area_code", "order": "order_uid"}

    def load_references(self, rows):
        self.areas = _areas_by_code(rows)
        uids = []
        for _number, row in rows:
            try:
                uids.append(uuid.UUID(text(row.get("order_uid", ""))))
            except ValueError:
                continue
        self.orders = {str(order.uid): order for order in EvacuationOrder.objects.filter(uid__in=uids)}
        self.seen = set()

    def prepare(self, row, errors):
        order = self.lookup(row, "order_uid", self.orders, errors, label=_("order with uid"))
        area = self.lookup(row, "area_code", self.areas, errors, label=_("area with code"))
        scope = self.cell(
            row, "scope", parse_choice, errors, model=OrderTarget, name="scope", default=TargetScope.SUBTREE
        )
        if order and area:
            if (order.pk, area.pk) in self.seen:
                errors.setdefault("area_code", []).append(_("This area is listed twice for this order."))
            self.seen.add((order.pk, area.pk))
        note = text(row.get("note", ""))
        return {"order": order, "target": TargetInput(area=area, scope=scope, note=note) if area else None}

    def validate(self, prepared, errors):
        return  # targets are checked per order in save(), inside the same transaction

    @transaction.atomic
    def save(self, check: ImportCheck, *, actor) -> int:
        if not check.ok:
            raise ValidationError(_("The file has errors; nothing was imported."))
        by_order: dict[int, tuple[EvacuationOrder, list[TargetInput]]] = {}
        for _number, prepared in check.prepared:
            by_order.setdefault(prepared["order"].pk, (prepared["order"], []))[1].append(prepared["target"])
        for order, targets in by_order.values():
            # The order service, not order_targets_set alone: the order's history, updated_at and
            # change-feed entry follow its targets.
            order_update(order=order, targets=targets, actor=actor)
        return len(check.prepared)


# --- the official hostilities list ------------------------------------------------------------

# The source every row of the list cites unless the command names another: created on the first
# import when missing (never updated, so a second import writes nothing).
HOSTILITIES_SOURCE = {
    "slug": "minreintegration-order-309",
    "title": (
        "Перелік територій, на яких ведуться (велися) бойові дії або тимчасово окупованих Російською "
        "Федерацією (наказ Мінреінтеграції від 22.12.2022 № 309)"
    ),
    "publisher": "Ministry of Reintegration of the Temporarily Occupied Territories of Ukraine",
    "url": "https://zakon.rada.gov.ua/laws/show/z1668-22",
    "published_on": datetime.date(2022, 12, 22),
    "published_on_precision": DatePrecision.DAY,
    "language": "uk",
    "reliability": "a",
    "summary": (
        "The government's list of territories of possible and active hostilities, temporarily "
        "occupied and (in 2022) encircled, per hromada with start and end dates; amended often."
    ),
}


def _wording(value: str) -> str:
    """A kind as written, compared without case, spacing, a final full stop or the list's
    "Російською Федерацією" ("тимчасово окуповані Російською Федерацією території")."""
    value = " ".join(str(value).replace("\u2019", "'").split()).lower().rstrip(".")
    return value.replace(" російською федерацією", "")


def _kind_wordings() -> dict[str, str]:
    """Every way a row may name a kind → our code: the code, the English label, the list's wording
    (plural, as the list's headings, or singular), and the wordings of earlier editions."""
    wordings = {}
    for kind in ControlKind.values:
        official = CONTROL_KIND_OFFICIAL_NAMES[kind]
        singular = official.replace("території", "територія", 1).replace("тимчасово окуповані", "тимчасово окупована")
        with translation.override("en"):
            english = str(ControlKind(kind).label)
        for wording in (kind, english, official, singular):
            wordings[_wording(wording)] = kind
    wordings.update({_wording(wording): kind for wording, kind in HOSTILITIES_KIND_WORDINGS.items()})
    return wordings


# Wordings of the list's 2022 editions (order No. 75 and its amendments) and short forms.
HOSTILITIES_KIND_WORDINGS = {
    "території, які перебувають в тимчасовій окупації": ControlKind.OCCUPIED,
    "тимчасово окупована": ControlKind.OCCUPIED,
    "оточення (блокування)": ControlKind.ENCIRCLED,
    "території, які перебувають в оточенні (блокуванні)": ControlKind.ENCIRCLED,
    "оточення": ControlKind.ENCIRCLED,
    "блокування": ControlKind.ENCIRCLED,
}


def parse_list_date(value) -> datetime.date | None:
    """A date as YYYY-MM-DD or as the list writes it, DD.MM.YYYY."""
    if isinstance(value, str) and value.count(".") == 2:
        try:
            return datetime.datetime.strptime(value.strip(), "%d.%m.%Y").date()
        except ValueError as error:
            raise CellError(_("Write dates as YYYY-MM-DD or DD.MM.YYYY.")) from error
    try:
        return parse_date(value)
    except CellError as error:
        raise CellError(_("Write dates as YYYY-MM-DD or DD.MM.YYYY.")) from error


@dataclass
class HostilitiesRow:
    """One row of the list, ready for the designation services: to create, to update, or as stored."""

    action: str  # "create" | "update" | "unchanged"
    fields: dict
    designation: ControlDesignation | None = None


class HostilitiesImporter(Importer):
    """The official list of territories of hostilities or occupation (Order No. 309), one row per
    hromada, kind and start date: `manage.py import_hostilities FILE` (columns in its help and in
    the README).

    A row is matched to a stored designation by (hromada, kind, start date): a match with the same
    end date is left alone, one whose end date differs gets the file's (the list closes a period
    by giving it an end); anything else is created. So importing the same file twice writes
    nothing, and importing the next edition of the list adds and closes periods. Rows the file no
    longer lists are left as they are: the list's editions drop ended periods, which stay history.
    """

    model = ControlDesignation
    required_columns = ("hromada_code", "kind", "valid_from")
    optional_columns = ("valid_until", "locator", "summary")
    citation_columns = ("locator",)
    field_columns = {"area": "hromada_code", "citations": "locator"}

    def __init__(self, content: bytes, filename: str, *, source: Source):
        super().__init__(content, filename)
        self.source = source

    def load_references(self, rows):
        self.areas = _areas_by_code(rows, column="hromada_code")
        self.wordings = _kind_wordings()
        self.stored = {
            (designation.area_id, designation.kind, designation.valid_from): designation
            for designation in ControlDesignation.objects.filter(area__in=self.areas.values()).order_by("-id")
        }
        self.seen = set()

    def prepare(self, row, errors):
        area = self.lookup(row, "hromada_code", self.areas, errors, label=_("area with code"))
        if area is not None and area.level != AreaLevel.HROMADA:
            errors.setdefault("hromada_code", []).append(
                _("%(code)s is a %(level)s, not a hromada: the list is kept per hromada.")
                % {"code": area.code, "level": area.get_level_display()}
            )
        kind = self.wordings.get(_wording(text(row.get("kind", ""))))
        if kind is None:
            errors.setdefault("kind", []).append(
                _("Not a kind of the list: write one of %(codes)s, or the list's wording (%(example)s).")
                % {"codes": ", ".join(ControlKind.values), "example": CONTROL_KIND_OFFICIAL_NAMES[ControlKind.OCCUPIED]}
            )
        valid_from = self.cell(row, "valid_from", parse_list_date, errors)
        if valid_from is None and "valid_from" not in errors:
            errors["valid_from"] = [_("This column is required.")]
        valid_until = self.cell(row, "valid_until", parse_list_date, errors)
        fields = {
            "area": area,
            "kind": kind,
            "valid_from": valid_from,
            "valid_until": valid_until,
            "valid_until_precision": DatePrecision.DAY if valid_until else "",
        }
        key = (area.pk if area else None, kind, valid_from)
        if errors:
            return HostilitiesRow("create", fields)
        if key in self.seen:
            errors.setdefault("valid_from", []).append(
                _("This hromada, kind and start date are listed twice in the file.")
            )
        self.seen.add(key)
        stored = self.stored.get(key)
        if stored is None:
            with translation.override("en"):
                label = str(ControlKind(kind).label)
            fields["summary"] = text(row.get("summary", "")) or (
                f"On the official list of territories of hostilities or occupation (Order No. 309): {label}."
            )
            fields["citations"] = [CitationInput(source=self.source, locator=text(row.get("locator", "")))]
            return HostilitiesRow("create", fields)
        if (stored.valid_until, stored.valid_until_precision) == (valid_until, fields["valid_until_precision"]):
            return HostilitiesRow("unchanged", fields, stored)
        return HostilitiesRow("update", fields, stored)

    def validate(self, prepared: HostilitiesRow, errors):
        if prepared.action == "unchanged":
            return
        fields = {name: value for name, value in prepared.fields.items() if name != "citations"}
        designation = prepared.designation or ControlDesignation(**fields)
        if prepared.designation is not None:
            # On a copy: the stored row must not change until save().
            designation = copy.copy(designation)
            designation.valid_until = fields["valid_until"]
            designation.valid_until_precision = fields["valid_until_precision"]
        citations = prepared.fields.get("citations") or [CitationInput(source=self.source)]
        _merge(errors, fact_errors(designation, citations=citations))

    @transaction.atomic
    def save(self, check: ImportCheck, *, actor, progress=None) -> dict[str, int]:
        """Write the checked rows through the designation services (history, dirty marks): all or
        none. Returns how many rows were created, updated and unchanged."""
        if not check.ok:
            raise ValidationError(_("The file has errors; nothing was imported."))
        done = {"created": 0, "updated": 0, "unchanged": 0}
        for index, (_number, prepared) in enumerate(check.prepared, start=1):
            if prepared.action == "create":
                designation_create(actor=actor, **prepared.fields)
                done["created"] += 1
            elif prepared.action == "update":
                designation_update(
                    designation=prepared.designation,
                    valid_until=prepared.fields["valid_until"],
                    valid_until_precision=prepared.fields["valid_until_precision"],
                    actor=actor,
                )
                done["updated"] += 1
            else:
                done["unchanged"] += 1
            if progress is not None:
                progress(index, len(check.prepared))
        return done


IMPORTERS = {
    "incident": IncidentImporter,
    "populationcount": PopulationCountImporter,
    "evacuationorder": OrderTargetImporter,
}


def importer_columns(importer: type[Importer]) -> Iterable[str]:
    return (*importer.required_columns, *importer.optional_columns)
