"""Streaming exports: CSV with an HXL hashtag row, and GeoJSON, from one declaration of columns.

Constant memory whatever the size: rows come from the database in chunks (.iterator()) and
leave as they are written. Both formats carry the same columns, so a value means the same in
either: unknown is empty (null), 0 is 0, and a value the caller may not see is empty (null)
with its field named in the row's `withheld` column.
"""

from collections.abc import Callable
from dataclasses import dataclass
from operator import itemgetter

from django.db.models import Expression, Value
from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions

from evactrack.kernel.api.renderers import point_feature, stream_csv, stream_geojson

EXPORT_FORMATS = ("csv", "geojson")
ITERATOR_CHUNK = 2000


def export_format(request) -> str:
    value = request.query_params.get("format", "csv")
    if value not in EXPORT_FORMATS:
        raise exceptions.ValidationError({"format": [_("Use csv or geojson.")]})
    return value


@dataclass(frozen=True)
class Column:
    """One column of an export: its name (the CSV header and the GeoJSON property), its HXL
    hashtag, and where its value comes from: a field path read from the database (by default
    the field called `name`), an expression the database computes, or a function
    `value(row, context)` of the row read, for what SQL cannot say simply."""

    name: str
    hashtag: str
    value: str | Expression | Callable[[dict, "ExportContext"], object] | None = None

    @property
    def field(self) -> str | None:
        """The field path read for this column, if it is one."""
        if self.value is None:
            return self.name
        return self.value if isinstance(self.value, str) else None


WITHHELD = Column("withheld", "#meta+withheld")


class ExportContext:
    """What the column functions of one export may read besides the row: the caller, and
    lookups read once per export (`lookup(AdminUnits)`: a few hundred rows, so that no row of
    the export costs a query)."""

    def __init__(self, caller):
        self.caller = caller
        self._lookups = {}

    def lookup(self, factory: Callable[[], object]):
        """`factory()`'s value, made the first time a column asks for it in this export."""
        if factory not in self._lookups:
            self._lookups[factory] = factory()
        return self._lookups[factory]


def export_response(
    *,
    fmt: str,
    filename: str,
    columns: list[Column],
    queryset,
    caller,
    reads: tuple[str, ...] = (),
    withheld: Callable[[dict, ExportContext], tuple[str, ...]] | None = None,
    point: tuple[str, str] | None = ("latitude", "longitude"),
):
    """Stream `queryset` as `columns`, then the `withheld` column. `reads`: further fields the
    column functions and `withheld` read. `withheld(row, context)` names the columns the caller
    may not see in that row; they leave as null, and the qualifier of a withheld figure as empty,
    as the API's JSON shows them. For GeoJSON, `point` names the latitude and longitude columns."""
    columns = [*columns, WITHHELD]
    context = ExportContext(caller)
    # Where each column's value sits in a row read by .values(): under its field path, under an
    # alias of its name for an expression (an annotation may not take a field's name), or its name.
    key = {c.name: c.field or (f"export_{c.name}" if isinstance(c.value, Expression) else c.name) for c in columns}
    fields = dict.fromkeys([*(c.field for c in columns if c.field and c is not WITHHELD), *reads])
    expressions = {key[c.name]: c.value for c in columns if isinstance(c.value, Expression)}
    computed = [(c.name, c.value) for c in columns if callable(c.value) and not isinstance(c.value, Expression)]
    names = [c.name for c in columns]
    qualifier_of = {key[name]: key[f"{name}_qualifier"] for name in names if f"{name}_qualifier" in key}
    pick = itemgetter(*(key[name] for name in names))
    if withheld is None:
        # Nothing to withhold from this caller: the database writes the empty column, and rows
        # then pass without a Python step of their own (the 1M-row export stays fast).
        expressions[key["withheld"]] = Value("")
    rows = queryset.values(*fields, **expressions).iterator(chunk_size=ITERATOR_CHUNK)

    def shaped():
        if withheld is None and not computed:
            yield from rows
            return
        for row in rows:
            hidden = withheld(row, context) if withheld else ()
            for name in hidden:
                row[key[name]] = None
                if key[name] in qualifier_of:
                    row[qualifier_of[key[name]]] = ""
            row["withheld"] = " ".join(hidden)
            for name, value in computed:
                row[name] = value(row, context)
            yield row

    if fmt == "csv":
        body = stream_csv(header=names, hashtags=[c.hashtag for c in columns], rows=map(pick, shaped()))
        response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    latitude, longitude = (key[point[0]], key[point[1]]) if point else (None, None)

    def feature(row):
        properties = dict(zip(names, pick(row), strict=True))
        return point_feature(latitude=row.get(latitude), longitude=row.get(longitude), properties=properties)

    response = StreamingHttpResponse(stream_geojson(map(feature, shaped())), content_type="application/geo+json")
    response["Content-Disposition"] = f'attachment; filename="{filename}.geojson"'
    return response
