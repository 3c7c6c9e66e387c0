"""One declaration per resource, from which each of its renderings is derived: the single object
(`represent`), the list row whose JSON the database writes (`list_rows` / `list_item`), and the
export columns, which the CSV (with its HXL row) and the GeoJSON properties share (`export_columns`).

Adding a field to a resource is one `Field` line. A field says its JSON name, its kind (how each
rendering writes its value), where its value comes from (a field path, one relation at most), its
export column and HXL hashtag (or none: not exported), and whether the resource's access rule
withholds it. A float is never written by the database's JSON (SQLite writes 15 significant
digits, Python 17): it is read as a column and written by Python, in the list as in the object;
a float column declared as another kind is refused when the declaration is made.
"""

from collections.abc import Callable
from dataclasses import dataclass

import orjson
from django.core.exceptions import FieldDoesNotExist, ImproperlyConfigured
from django.db.models import DecimalField, F, FloatField, OuterRef, Subquery

from evactrack.kernel.api.columns import IsoDate, IsoDateTime, JSONObjectText, UuidText, datetime_text
from evactrack.kernel.api.exports import Column

# How a value is written. text and int go as they are; date and datetime as the API writes them
# (`2023-08-10`, `datetime_text`); uuid as `str(uuid)`; float by Python only; nested: a value of
# its own (citations), given by the field's `read` (an object) and `rows` (a list's expression).
KINDS = ("text", "int", "float", "date", "datetime", "uuid", "nested", "withheld")


@dataclass(frozen=True)
class Field:
    name: str
    kind: str = "text"
    # The field path read, by default `name`: a column, or one relation and its column ("area__code").
    source: str | None = None
    # Exported when it has a hashtag, as the column `column` (by default `name`).
    hashtag: str | None = None
    column: str | None = None
    # Set to null (its `_qualifier` to "") when the resource's rule withholds it from a caller.
    withheld: bool = False
    # kind "nested": the value for an object, and the expression writing it for a list.
    read: Callable | None = None
    rows: Callable | None = None

    @property
    def path(self) -> str:
        return self.source or self.name

    @property
    def column_name(self) -> str:
        return self.column or self.name


@dataclass(frozen=True)
class ExportOnly:
    """A column the export has and the API does not (the oblast and raion of an incident)."""

    column: Column


def _iso(value):
    if value is None:
        return None
    return datetime_text(value) if hasattr(value, "hour") else value.isoformat()


class Resource:
    """A resource's declaration: `fields` (Field and ExportOnly, in column order); `withholds(caller,
    values)` says whether the withheld fields are hidden from a caller, reading `rule_reads` (and
    the withheld fields) from a dict of the row's columns."""

    def __init__(self, model, fields, *, withholds=None, rule_reads: tuple[str, ...] = ()):
        self.model, self.entries = model, list(fields)
        self.fields = [f for f in self.entries if isinstance(f, Field)]
        self.withholds, self.rule_reads = withholds, tuple(rule_reads)
        self.by_name = {f.name: f for f in self.fields}
        for field in self.fields:
            self._check(field)
        self.withheld_names = tuple(f.name for f in self.fields if f.withheld)
        hidden = {*self.withheld_names, *(f"{name}_qualifier" for name in self.withheld_names)}
        # In a list, written by Python: floats, and what a caller may be refused.
        self.python_names = tuple(f.name for f in self.fields if f.kind == "float" or f.name in hidden)

    def _check(self, field: Field) -> None:
        where = f"{self.model.__name__}.{field.name}"
        if field.kind not in KINDS:
            raise ImproperlyConfigured(f"{where}: kind {field.kind!r} is not one of {KINDS}.")
        if field.kind in ("nested", "withheld"):
            if field.kind == "nested" and field.read is None:
                raise ImproperlyConfigured(f"{where}: a nested field gives `read` (and `rows`, for a database list).")
            return
        model_field = self._model_field(field)
        if isinstance(model_field, FloatField | DecimalField) and field.kind != "float":
            raise ImproperlyConfigured(
                f"{where} reads a {type(model_field).__name__}: declare it kind='float', so that Python writes it "
                "(SQLite's JSON gives 15 significant digits, Python 17, and a list and an object must agree)."
            )

    def _model_field(self, field: Field):
        parts = field.path.split("__")
        if len(parts) > 2:
            raise ImproperlyConfigured(f"{field.path}: one relation at most.")
        try:
            model_field = self.model._meta.get_field(parts[0])
            if len(parts) == 2:
                model_field = model_field.related_model._meta.get_field(parts[1])
        except (FieldDoesNotExist, AttributeError) as error:
            raise ImproperlyConfigured(f"{self.model.__name__}.{field.name}: no field {field.path}.") from error
        return model_field

    # The API's field names, in order (the serializer's Meta.fields).
    @property
    def api_names(self) -> list[str]:
        return [f.name for f in self.fields]

    def _related(self, field: Field) -> bool:
        return field.kind not in ("nested", "withheld") and "__" in field.path

    # A single object.

    def detail_annotations(self) -> dict:
        """What a single object's query annotates so that no related row costs a query of its own."""
        return {f"decl_{f.name}": F(f.path) for f in self.fields if self._related(f)}

    def value_of(self, instance, field: Field):
        if field.kind == "nested":
            return field.read(instance)
        if self._related(field):
            annotated = f"decl_{field.name}"
            if hasattr(instance, annotated):
                value = getattr(instance, annotated)
            else:
                relation, column = field.path.split("__")
                related = getattr(instance, relation)
                value = None if related is None else getattr(related, column)
        else:
            value = getattr(instance, field.path)
        if field.kind == "uuid":
            return None if value is None else str(value)
        if field.kind in ("date", "datetime"):
            return _iso(value)
        return value

    def represent(self, instance, caller) -> dict:
        data = {f.name: self.value_of(instance, f) for f in self.fields if f.kind != "withheld"}
        hidden = self.hidden(caller, vars(instance))
        self._withhold(data, hidden)
        if "withheld" in self.by_name:
            data["withheld"] = list(hidden)
        return {name: data[name] for name in self.api_names}

    def hidden(self, caller, values: dict) -> tuple[str, ...]:
        if self.withholds is None or not self.withheld_names or not self.withholds(caller, values):
            return ()
        return self.withheld_names

    def _withhold(self, data: dict, hidden) -> None:
        for name in hidden:
            data[name] = None
            if f"{name}_qualifier" in data:
                data[f"{name}_qualifier"] = ""

    # A list: each row's JSON object written by the database, but for `python_names`.

    def _list_expression(self, field: Field):
        if field.kind == "nested":
            if field.rows is None:
                raise ImproperlyConfigured(f"{field.name}: a nested field in a database list gives `rows`.")
            return field.rows()
        if self._related(field):
            # A correlated subquery on the primary key, not a join: SQLite then reads only the
            # page's rows, by rowid (a join's plan scanned every source for each citation).
            relation, column = field.path.split("__")
            related = self.model._meta.get_field(relation).related_model
            return Subquery(related.objects.filter(pk=OuterRef(f"{relation}_id")).order_by().values(column))
        return {"uuid": UuidText, "date": IsoDate, "datetime": IsoDateTime}.get(field.kind, F)(field.path)

    def list_rows(self):
        """A `.values()` queryset of a page's rows: `id`, the columns Python writes and the rule
        reads, and `json`, the rest of the row's object written by the database."""
        plain = [f for f in self.fields if f.name in self.python_names]
        reads = [name for name in self.rule_reads if name not in self.python_names]
        written = {
            f.name: self._list_expression(f)
            for f in self.fields
            if f.name not in self.python_names and f.kind != "withheld"
        }
        aliased = {f.name: F(f.path) for f in plain if f.path != f.name}
        return self.model.objects.values(
            "id", *reads, *(f.name for f in plain if f.path == f.name), **aliased, json=JSONObjectText(**written)
        )

    def list_item(self, row: dict, caller) -> orjson.Fragment:
        """One row of `list_rows()` as the API shows it: Python's part put in front of the
        database's JSON object."""
        front = {name: row[name] for name in self.python_names}
        hidden = self.hidden(caller, row)
        self._withhold(front, hidden)
        if "withheld" in self.by_name:
            front["withheld"] = list(hidden)
        return orjson.Fragment(orjson.dumps(front)[:-1] + b"," + row["json"][1:].encode())

    # Exports: CSV and GeoJSON, the same columns.

    def export_columns(self) -> list[Column]:
        columns = []
        for entry in self.entries:
            if isinstance(entry, ExportOnly):
                columns.append(entry.column)
            elif entry.hashtag is not None:
                columns.append(Column(entry.column_name, entry.hashtag, self._export_value(entry)))
        return columns

    def _export_value(self, field: Field):
        if field.kind in ("nested", "withheld"):
            raise ImproperlyConfigured(f"{field.name}: a {field.kind} field is not exported.")
        expression = {"uuid": UuidText, "date": IsoDate, "datetime": IsoDateTime}.get(field.kind)
        if expression is not None:
            return expression(field.path)
        return None if field.path == field.column_name else field.path

    @property
    def export_reads(self) -> tuple[str, ...]:
        """What the rule reads besides the exported columns."""
        exported = {c.field for c in self.export_columns()}
        return tuple(name for name in self.rule_reads if name not in exported)

    def export_hidden(self, row: dict, context) -> tuple[str, ...]:
        """The export's `withheld` function: the columns of the withheld fields."""
        return tuple(self.by_name[name].column_name for name in self.hidden(context.caller, row))
