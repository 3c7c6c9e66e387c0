"""SQL expressions that hand a list its JSON values ready-made, as text.

A page of 100 incidents read through the ORM spent more time turning SQLite's text back into
datetimes, dates and UUIDs (and those into text again for JSON) than the database spent finding
the rows. These expressions have the database write the text the API returns, the same text
as `datetime_text(value)` / `value.isoformat()` / `str(uuid)` give for a single object, so a row goes to JSON as read;
JSONObjectText and JSONObjectsText have it write a row's whole JSON object.
One class per value kind, each with the SQLite and PostgreSQL spelling side by side.
"""

import datetime

from django.db.models import Func, Subquery, TextField


class TextFunc(Func):
    """A one-column expression whose templates may name the column more than once."""

    arity = 1
    output_field = TextField()

    def as_sql(self, compiler, connection, template=None, **extra):
        sql, params = super().as_sql(compiler, connection, template=template, **extra)
        # Each mention of the column repeats its parameters (none for a plain column).
        return sql, tuple(params) * (template or self.template).count("%(expressions)s")


def datetime_text(value: datetime.datetime) -> str:
    """The one way the API writes a time: UTC, always six digits of microseconds, and `Z`
    (`2023-08-10T07:15:00.000000Z`), so partners compare and sort times as text."""
    return value.astimezone(datetime.UTC).replace(tzinfo=None).isoformat(timespec="microseconds") + "Z"


class IsoDateTime(TextFunc):
    """A timestamp as `datetime_text` writes it: `2023-08-10T07:15:00.000000Z`."""

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores UTC as `str(datetime)`: `2023-08-10 07:15:00`, `.ffffff` only when there
        # are microseconds. Padding with `.000000` and cutting at 26 characters gives both six.
        template = "(substr(replace(%(expressions)s, ' ', 'T') || '.000000', 1, 26) || 'Z')"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        template = "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
        return self.as_sql(compiler, connection, template=template, **extra)


class IsoDate(TextFunc):
    """A date as `date.isoformat()` writes it: `2023-08-10`."""

    def as_sqlite(self, compiler, connection, **extra):
        # A bare date column would come back as a date: sqlite3 converts by declared type.
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s AS TEXT)", **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="to_char(%(expressions)s, 'YYYY-MM-DD')", **extra)


class UuidText(TextFunc):
    """A UUID as `str(uuid)` writes it: lower case, with hyphens."""

    def as_sqlite(self, compiler, connection, **extra):
        # Django stores UUIDs on SQLite as 32 hex digits.
        template = (
            "(substr(%(expressions)s, 1, 8) || '-' || substr(%(expressions)s, 9, 4) || '-' ||"
            " substr(%(expressions)s, 13, 4) || '-' || substr(%(expressions)s, 17, 4) || '-' ||"
            " substr(%(expressions)s, 21))"
        )
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, template="%(expressions)s::text", **extra)


def _json_key(key: str) -> str:
    # Keys are written into the SQL: they come from code, never from a request.
    if not key.isidentifier():
        raise ValueError(f"Not a plain JSON key: {key!r}")
    return key


class JSONObjectText(Func):
    """A JSON object of these values, written by the database, as text.

    Text values become JSON strings, integers numbers, NULL null; a JSONObjectsText value is
    nested as an array. Floats are not given here: SQLite writes 15 significant digits, Python
    17 where a value needs them, and a list and a single object must show the same number.
    Keys keep their order on both databases.
    """

    output_field = TextField()

    def __init__(self, **fields):
        self.keys = list(fields)
        super().__init__(*fields.values())

    def _compiled(self, compiler) -> tuple[list[tuple[str, str]], list]:
        """(key, SQL) of each value, and the parameters of them all."""
        pairs, params = [], []
        for key, expression in zip(self.keys, self.get_source_expressions(), strict=True):
            sql, expression_params = compiler.compile(expression)
            pairs.append((_json_key(key), sql))
            params.extend(expression_params)
        return pairs, params

    def as_sql(self, compiler, connection, **extra):
        pairs, params = self._compiled(compiler)
        return "json_object(" + ", ".join(f"'{key}', {sql}" for key, sql in pairs) + ")", params

    def as_postgresql(self, compiler, connection, **extra):
        # row_to_json of a one-row subquery, not json_build_object: that one works out each
        # argument's type on every call, several times slower for a page of rows.
        pairs, params = self._compiled(compiler)
        columns = ", ".join(f"{sql} AS {connection.ops.quote_name(key)}" for key, sql in pairs)
        return f"(SELECT row_to_json(object) FROM (SELECT {columns}) object)::text", params


class JSONObjectsText(Subquery):
    """In a correlated subquery: its rows as a JSON array of objects with these keys, as text
    (`[]` when there are none), ordered by the values in the order given.

    `JSONObjectsText(queryset, source=expression, locator=expression)`.
    """

    output_field = TextField()

    def __init__(self, queryset, **fields):
        self.keys = list(fields)
        columns = {f"item_{key}": value for key, value in fields.items()}
        # Django drops a subquery's ORDER BY; the templates below order the rows.
        super().__init__(queryset.order_by().values(**columns), output_field=TextField())

    def _template(self, connection, array: str, order: str = "") -> str:
        quote = connection.ops.quote_name
        pairs = ", ".join(f"'{_json_key(key)}', items.{quote('item_' + key)}" for key in self.keys)
        return f"(SELECT {array.format(pairs=pairs)} FROM (%(subquery)s{order}) items)"

    def as_sqlite(self, compiler, connection, **extra):
        # SQLite aggregates the rows in the subquery's order: it does not flatten an ordered
        # subquery into an aggregate query. json() marks the text as JSON, so that json_object
        # nests it as an array, not as a string.
        order = " ORDER BY " + ", ".join(str(position) for position in range(1, len(self.keys) + 1))
        array = "json_group_array(json_object({pairs}))"
        return self.as_sql(compiler, connection, template="json(" + self._template(connection, array, order) + ")")

    def as_postgresql(self, compiler, connection, **extra):
        quote = connection.ops.quote_name
        order = ", ".join(f"items.{quote('item_' + key)}" for key in self.keys)
        array = f"COALESCE(json_agg(json_build_object({{pairs}}) ORDER BY {order}), '[]'::json)"
        return self.as_sql(compiler, connection, template=self._template(connection, array))
