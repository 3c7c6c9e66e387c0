"""The only code that writes areas and their aliases."""

import re
import time
from collections import defaultdict
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import ProtectedError
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from evactrack.kernel.db import reject_nul_characters, reject_nul_values
from locations.choices import CATEGORY_LEVEL, KATOTTG_LETTER_TO_CATEGORY, PARENT_LEVELS, AreaCategory, AreaLevel
from locations.models import AREA_CODE_PATTERN, PATH_SEPARATOR, Area, AreaAlias
from locations.names import (
    is_cyrillic,
    looks_russian,
    name_key,
    name_variants_ru,
    name_variants_uk,
    normalize_name,
    transliterate_uk,
)
from locations.signals import areas_regrouped


def area_path(*, code: str, parent: Area | None) -> str:
    return (parent.path if parent else "") + code + PATH_SEPARATOR


@transaction.atomic
def area_upsert(
    *,
    code: str,
    category: str,
    name_uk: str,
    parent: Area | None = None,
    name_en: str = "",
    pcode: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
) -> tuple[Area, bool]:
    """Create the area with this code, or bring the stored one up to date. Returns (area, created).

    The level follows from the category; the English name defaults to the official
    transliteration of the Ukrainian one.
    """
    if "\x00" in code:
        # Refuse before the lookup below: PostgreSQL cannot even compare text holding NUL.
        raise ValidationError({"code": _("Text cannot contain NUL characters.")})
    reject_nul_values({"code": code, "category": category, "name_uk": name_uk, "name_en": name_en, "pcode": pcode})
    level = CATEGORY_LEVEL.get(category)
    if level is None:
        raise ValidationError({"category": _("Unknown category %(value)r.") % {"value": category}})
    if parent is not None and parent.level not in PARENT_LEVELS[level]:
        raise ValidationError(
            {"parent": _("A %(level)s cannot sit under a %(parent)s.") % {"level": level, "parent": parent.level}}
        )
    fields = {
        "category": category,
        "level": level,
        "parent": parent,
        "path": area_path(code=code, parent=parent),
        "name_uk": name_uk,
        "name_en": name_en or transliterate_uk(name_uk),
        "pcode": pcode,
        "latitude": latitude,
        "longitude": longitude,
    }
    area = Area.objects.filter(code=code).first()
    created = area is None
    if created:
        area = Area(code=code, **fields)
    else:
        changed = {name: value for name, value in fields.items() if getattr(area, name) != value}
        if not changed:
            return area, False
        if "path" in changed:
            _move_subtree(area, new_path=fields["path"])
        for name, value in changed.items():
            setattr(area, name, value)
    reject_nul_characters(area)
    area.full_clean()
    area.save()
    if not created and {"path", "level"} & changed.keys():
        areas_regrouped.send(sender=Area, paths=[area.path])
    area_alias_add(area=area, name=area.name_uk, kind="official_uk", language="uk")
    area_alias_add(area=area, name=area.name_en, kind="official_en", language="en")
    return area, created


def _move_subtree(area: Area, *, new_path: str) -> None:
    """Rewrite the paths below an area whose parent changed (rare: a reform of the codifier)."""
    old_path = area.path
    for descendant in Area.objects.filter(path__startswith=old_path).exclude(pk=area.pk):
        descendant.path = new_path + descendant.path[len(old_path) :]
        descendant.save(update_fields=["path", "updated_at"])


def area_alias_add(*, area: Area, name: str, kind: str, language: str = "") -> AreaAlias:
    """Record another spelling of the area's name; adding a known spelling again changes nothing."""
    name = " ".join(name.split())
    reject_nul_values({"name": name})
    alias = AreaAlias.objects.filter(area=area, name=name).first()
    if alias is not None:
        return alias
    alias = AreaAlias(
        area=area, name=name, normalized=normalize_name(name), key=name_key(name), kind=kind, language=language
    )
    reject_nul_characters(alias)
    alias.full_clean()
    alias.save()
    return alias


# --- the gazetteer import -------------------------------------------------------------------

AREA_IMPORT_FIELDS = (
    "parent_id",
    "path",
    "level",
    "category",
    "pcode",
    "name_uk",
    "name_en",
    "latitude",
    "longitude",
    "population",
    "is_hromada_centre",
    "geonames_id",
)
# OCHA P-codes are KATOTTG prefixes of a fixed length per level; city districts have none.
PCODE_LENGTHS = {
    AreaLevel.COUNTRY: 2,
    AreaLevel.OBLAST: 4,
    AreaLevel.RAION: 6,
    AreaLevel.HROMADA: 9,
    AreaLevel.SETTLEMENT: 12,
}
# When two spellings normalize alike, the first kind listed gives the stored name.
ALIAS_KIND_ORDER = ("official_uk", "official_en", "historical", "russian", "variant", "geonames")
CODE_PATTERN = re.compile(AREA_CODE_PATTERN)
BATCH_SIZE = 2000


@dataclass
class GazetteerImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    aliases_created: int = 0
    aliases_refreshed: int = 0
    stale: int = 0
    deleted: int = 0
    kept_referenced: int = 0
    seconds: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def rows_written(self) -> int:
        return self.created + self.updated + self.aliases_created + self.aliases_refreshed + self.deleted

    def line(self) -> str:
        stale = f", {self.stale} stale (not in the file)" if self.stale else ""
        refreshed = f", {self.aliases_refreshed} alias keys refreshed" if self.aliases_refreshed else ""
        pruned = (
            f", {self.deleted} deleted, {self.kept_referenced} kept (referenced)"
            if self.deleted or self.kept_referenced
            else ""
        )
        return (
            f"Gazetteer: {self.created} created, {self.updated} updated, {self.unchanged} unchanged, "
            f"{self.skipped} skipped, {self.aliases_created} aliases added{refreshed}{stale}{pruned} "
            f"in {self.seconds:.1f} s."
        )


def _pcode(code: str, level: str) -> str:
    length = PCODE_LENGTHS.get(level)
    return code[:length] if length and code.startswith("UA") else ""


def _record_rows(records, summary: GazetteerImportSummary) -> dict[str, dict]:
    """Validate the records as area_upsert would (category, level, parent's level, code) and
    compute each area's fields and path in memory. Invalid records and their subtrees are skipped."""
    by_code = {}
    for record in records:
        if record.code in by_code:
            summary.problems.append(f"{record.code}: listed twice")
            continue
        by_code[record.code] = record
    rows: dict[str, dict] = {}
    refused: set[str] = set()

    def build(code: str):
        if code in rows or code in refused:
            return rows.get(code)
        record = by_code[code]
        category = AreaCategory.COUNTRY if not record.parent else KATOTTG_LETTER_TO_CATEGORY.get(record.letter)
        level = CATEGORY_LEVEL.get(category)
        problem = None
        parent_row = None
        if not CODE_PATTERN.match(code):
            problem = "not a valid code"
        elif level is None:
            problem = f"unknown category letter {record.letter!r}"
        elif record.parent:
            if record.parent not in by_code:
                problem = f"parent {record.parent} is not in the file"
            else:
                parent_row = build(record.parent)
                if parent_row is None:
                    problem = f"parent {record.parent} was skipped"
                elif parent_row["level"] not in PARENT_LEVELS[level]:
                    problem = f"a {level} cannot sit under a {parent_row['level']}"
        elif level != AreaLevel.COUNTRY:
            problem = "only a country has no parent"
        name_max = Area._meta.get_field("name_uk").max_length
        if not record.name_uk.strip() or "\x00" in record.name_uk + record.name_en or len(record.name_uk) > name_max:
            problem = problem or "no usable name"
        if problem:
            refused.add(code)
            summary.skipped += 1
            summary.problems.append(f"{code}: {problem}")
            return None
        has_point = record.latitude is not None and record.longitude is not None
        rows[code] = {
            "code": code,
            "parent_code": record.parent or None,
            "path": (parent_row["path"] if parent_row else "") + code + PATH_SEPARATOR,
            "level": level,
            "category": category,
            "pcode": _pcode(code, level),
            "name_uk": record.name_uk,
            "name_en": record.name_en or transliterate_uk(record.name_uk),
            "latitude": record.latitude if has_point else None,
            "longitude": record.longitude if has_point else None,
            "population": record.population or None,
            "is_hromada_centre": record.hromada_centre,
            "geonames_id": record.geonames_id or None,
        }
        return rows[code]

    for code in by_code:
        build(code)
    return rows


def gazetteer_aliases(record, row: dict, short_names: list[str]) -> list[tuple[str, str, str]]:
    """Every spelling to store for one area: official names, their variants, the file's
    aliases (GeoNames, Russian, historical) with their Latin forms, and short names."""
    aliases = [(row["name_uk"], "official_uk", "uk"), (row["name_en"], "official_en", "en")]
    aliases += [(name, "variant", "en") for name in sorted(name_variants_uk(row["name_uk"]))]
    for name, kind, language in record.aliases:
        aliases.append((name, kind, language))
        if is_cyrillic(name):
            if kind == "russian" or looks_russian(name):
                aliases += [(latin, "russian", "ru") for latin in sorted(name_variants_ru(name))]
            else:
                latin_kind = "historical" if kind == "historical" else "variant"
                aliases.append((transliterate_uk(name), latin_kind, "en"))
                aliases += [(latin, latin_kind, "en") for latin in sorted(name_variants_uk(name))]
    for name in short_names:
        aliases.append((name, "variant", "uk"))
        aliases.append((transliterate_uk(name), "variant", "en"))
    return aliases


def _short_names(records, rows: dict[str, dict]) -> dict[str, list[str]]:
    """Raions and hromadas are named after their seat (Куп'янський район, Куп'янська громада):
    the seat's name finds them too ("Kupiansk raion" once the resolver strips "raion")."""
    centres = {}
    cities_by_raion = defaultdict(list)
    for record in records:
        row = rows.get(record.code)
        if row is None or row["level"] != AreaLevel.SETTLEMENT:
            continue
        if record.hromada_centre:
            centres[record.parent] = record.name_uk
        if record.letter == "M":
            cities_by_raion[record.code[:6]].append(record.name_uk)
    short = defaultdict(list)
    for code, row in rows.items():
        if row["level"] == AreaLevel.HROMADA and code in centres:
            short[code].append(centres[code])
        elif row["level"] == AreaLevel.RAION:
            raion = normalize_name(row["name_uk"])
            matches = [
                city
                for city in cities_by_raion[code[:6]]
                if raion.startswith(normalize_name(city)[: max(3, len(city) - 2)])
            ]
            if matches:
                short[code].append(max(matches, key=len))
    return short


def gazetteer_import(*, records, prune: bool = False, progress=None) -> GazetteerImportSummary:
    """Bring the area tree and its spellings in line with the gazetteer records, in bulk.

    Equivalent to area_upsert + area_alias_add per record (same checks, in Python; the
    database constraints are the backstop) but in batches: the whole country in seconds.
    Unchanged areas are not written at all. Aliases are only ever added: an old official name
    stays findable. Areas missing from the file are counted; with `prune`, those no report
    references are deleted, leaves first, and the referenced ones kept.
    """
    started = time.monotonic()
    progress = progress or (lambda stage, done, total: None)
    summary = GazetteerImportSummary()
    records = list(records)
    rows = _record_rows(records, summary)
    record_by_code = {record.code: record for record in records}

    with transaction.atomic():
        existing = {area["code"]: area for area in Area.objects.values("id", "code", *AREA_IMPORT_FIELDS)}
        id_by_code = {code: area["id"] for code, area in existing.items()}
        now = timezone.now()
        # Parents first, so that every child's parent id is known when it is created.
        ordered = sorted(rows.values(), key=lambda row: row["path"].count(PATH_SEPARATOR))
        to_update, changed_fields, regrouped = [], set(), []
        done = 0
        for depth_rows in _group_by_depth(ordered):
            new_areas = []
            for row in depth_rows:
                fields = {name: row[name] for name in AREA_IMPORT_FIELDS if name != "parent_id"}
                fields["parent_id"] = id_by_code.get(row["parent_code"]) if row["parent_code"] else None
                current = existing.get(row["code"])
                if current is None:
                    new_areas.append({"code": row["code"], **fields})
                    continue
                changes = {name for name, value in fields.items() if current[name] != value}
                if not changes:
                    summary.unchanged += 1
                    continue
                area = Area(id=current["id"], code=row["code"], created_at=None, updated_at=now, **fields)
                to_update.append(area)
                changed_fields |= changes
                if {"path", "level"} & changes:
                    regrouped.append(area.path)
            if new_areas:
                id_by_code.update(_areas_insert(new_areas, now=now))
                summary.created += len(new_areas)
            done += len(depth_rows)
            progress("areas", done, len(ordered))
        if to_update:
            bulk_update_with_history(
                to_update, Area, [*sorted(changed_fields), "updated_at"], batch_size=BATCH_SIZE, default_date=now
            )
            summary.updated = len(to_update)
        if regrouped:
            areas_regrouped.send(sender=Area, paths=regrouped)

        summary.aliases_created, summary.aliases_refreshed = _aliases_sync(
            records=record_by_code, rows=rows, id_by_code=id_by_code, progress=progress
        )

        stale = [
            area
            for code, area in existing.items()
            if code not in rows and area["path"].startswith("UA" + PATH_SEPARATOR)
        ]
        summary.stale = len(stale)
        if prune and stale:
            _prune(stale, summary)
    summary.seconds = time.monotonic() - started
    return summary


def _insert_rows(cursor, table: str, columns: list[str], rows: list, *, per_statement: int = 500) -> None:
    """Write many rows fast: COPY on PostgreSQL; on SQLite, multi-row INSERT ... VALUES
    (one statement per 500 rows, well under its bound-variable limit)."""
    quote = connection.ops.quote_name
    column_list = ", ".join(map(quote, columns))
    if connection.vendor == "postgresql":
        with cursor.cursor.copy(f"COPY {quote(table)} ({column_list}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    head = f"INSERT INTO {quote(table)} ({column_list}) VALUES "
    row_marks = f"({', '.join(['%s'] * len(columns))})"
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        cursor.execute(head + ", ".join([row_marks] * len(chunk)), [value for row in chunk for value in row])


def _areas_insert(areas: list[dict], *, now) -> dict[str, int]:
    """Insert new areas and their "created" history rows; returns their ids by code.

    Thirty thousand rows: multi-row INSERTs are several times faster than bulk_create (and than
    simple-history's bulk_create_with_history, which builds every model instance twice). The
    values were checked by _record_rows exactly as area_upsert checks them; the database's
    constraints still apply to every row.
    """
    columns = ["code", *AREA_IMPORT_FIELDS]
    stamp = connection.ops.adapt_datetimefield_value(now)
    area_table = Area._meta.db_table
    history_table = Area.history.model._meta.db_table
    with connection.cursor() as cursor:
        values = [[area[name] for name in columns] + [stamp, stamp] for area in areas]
        _insert_rows(cursor, area_table, [*columns, "created_at", "updated_at"], values)
        new_codes = {area["code"] for area in areas}
        ids = {code: pk for code, pk in Area.objects.values_list("code", "id") if code in new_codes}
        history_columns = ["id", *columns, "history_date", "history_change_reason", "history_type"]
        history = [
            [ids[area["code"]], *(area[name] for name in columns), stamp, "gazetteer import", "+"] for area in areas
        ]
        _insert_rows(cursor, history_table, history_columns, history)
    return ids


def _group_by_depth(ordered_rows):
    group, depth = [], None
    for row in ordered_rows:
        row_depth = row["path"].count(PATH_SEPARATOR)
        if depth is not None and row_depth != depth:
            yield group
            group = []
        group.append(row)
        depth = row_depth
    if group:
        yield group


def _alias_forms_refresh() -> int:
    """Recompute the normalized form and key of stored aliases whose rules changed since they
    were written (a new release of names.py): stale keys would silently stop matching."""
    stale = []
    for alias_id, name, normalized, key in AreaAlias.objects.values_list("id", "name", "normalized", "key"):
        new_normalized, new_key = normalize_name(name), name_key(name)
        if (new_normalized, new_key) != (normalized, key):
            stale.append(AreaAlias(id=alias_id, normalized=new_normalized, key=new_key))
    AreaAlias.objects.bulk_update(stale, ["normalized", "key"], batch_size=500)
    return len(stale)


def _aliases_sync(*, records, rows, id_by_code, progress) -> int:
    refreshed = _alias_forms_refresh()
    known = set(AreaAlias.objects.values_list("area_id", "normalized"))
    known_names = set(AreaAlias.objects.values_list("area_id", "name"))
    short_names = _short_names(records.values(), rows)
    rank = {kind: index for index, kind in enumerate(ALIAS_KIND_ORDER)}
    new_aliases = []
    for index, (code, row) in enumerate(rows.items(), 1):
        area_id = id_by_code[code]
        wanted = sorted(
            gazetteer_aliases(records[code], row, short_names.get(code, [])), key=lambda alias: rank.get(alias[1], 99)
        )
        for name, kind, language in wanted:
            name = " ".join(name.split())[:200]
            normalized = normalize_name(name)
            if not normalized or (area_id, normalized) in known or (area_id, name) in known_names:
                continue
            known.add((area_id, normalized))
            known_names.add((area_id, name))
            new_aliases.append((area_id, name, normalized, name_key(name), kind, language))
        if index % 5000 == 0:
            progress("aliases", index, len(rows))
    # A hundred thousand rows: plain multi-row INSERTs are several times faster than building
    # model instances for bulk_create, and aliases have no history, signals or defaults to honour.
    # Every value was produced by the checks above, as area_alias_add would.
    with connection.cursor() as cursor:
        _insert_rows(
            cursor, AreaAlias._meta.db_table, ["area_id", "name", "normalized", "key", "kind", "language"], new_aliases
        )
    progress("aliases", len(rows), len(rows))
    return len(new_aliases), refreshed


def _prune(stale: list[dict], summary: GazetteerImportSummary) -> None:
    """Delete areas the gazetteer no longer lists, deepest first; keep any that something
    references (an incident, an order, a count: their foreign keys protect the area)."""
    kept_paths = []
    for area in sorted(stale, key=lambda area: -area["path"].count(PATH_SEPARATOR)):
        if any(path.startswith(area["path"]) for path in kept_paths):
            summary.kept_referenced += 1  # a kept descendant needs its parent
            kept_paths.append(area["path"])
            continue
        try:
            with transaction.atomic():
                Area.objects.filter(pk=area["id"]).delete()
            summary.deleted += 1
        except ProtectedError:
            summary.kept_referenced += 1
            kept_paths.append(area["path"])
