"""Queries that Django compiles once and runs again with new parameters.

Building and compiling a queryset costs Django a fixed amount of Python on every request:
for a one-row lookup of an area by code, many times what SQLite spends answering its SQL, and
for a page of 100 incidents more than the database spends reading the page's rows (eight SQL
expressions, evactrack.kernel.api.columns; figures in docs/BENCHMARKS.md). When a query's
text depends only on the database, it is compiled on first use and run again with each
request's values as its parameters. The database's own statement cache (SQLite) or plan cache
then sees the same text every time.
"""

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.expressions import RawSQL


class Statement:
    """A `.values()` queryset, compiled once per database, run with the values of `parameters`.

    `build` takes one placeholder (a text value) per parameter name and returns the queryset.
    Each placeholder must reach the SQL as a parameter of its own, unchanged: a lookup on a
    text column (`code=code`), or RawSQL's params. `run(**values)` puts each value where its
    placeholder was; the caller gives it in the form the database takes.
    """

    def __init__(self, build, *parameters: str):
        self.build, self.parameters = build, parameters
        # By database: the text differs between SQLite and PostgreSQL. Two threads compiling at
        # once both store the same text.
        self._compiled = {}

    def run(self, using: str = DEFAULT_DB_ALIAS, **values) -> tuple[list[str], list[tuple]]:
        """The column names and the rows."""
        connection = connections[using]
        sql, params, slots, names = self._statement(connection)
        params = list(params)
        for at, name in slots:
            params[at] = values[name]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return names, cursor.fetchall()

    def queryset(self, connection, **placeholders):
        return self.build(**placeholders)

    def _statement(self, connection):
        key = (connection.alias, connection.vendor)
        if key not in self._compiled:
            self._compiled[key] = self._compile(connection)
        return self._compiled[key]

    def _compile(self, connection):
        placeholders = {name: f"\x00{name}\x00" for name in self.parameters}
        query = self.queryset(connection, **placeholders).query
        # The columns' names, in the order Django's own .values() reads them (ValuesIterable).
        names = list(query.selected) if query.selected else [
            *query.extra_select, *query.values_select, *query.annotation_select,
        ]  # fmt: skip
        sql, params = query.get_compiler(connection=connection).as_sql()
        by_placeholder = {placeholder: name for name, placeholder in placeholders.items()}
        slots = [(at, by_placeholder[param]) for at, param in enumerate(params) if param in by_placeholder]
        if {name for _at, name in slots} != set(self.parameters):
            raise ValueError("Every parameter's placeholder must reach the SQL as a parameter of its own.")
        return sql, tuple(params), slots, names


class RowsById(Statement):
    """The rows of `build()` (a `.values()` queryset) whose ids are given, in the order given.

    A hot list reads a page in two steps. The view's queryset, with the caller's visibility,
    the filters and the cursor, finds the page's ids; this statement then reads those rows'
    columns. The two steps run as two statements: a row deleted in between is left out of the
    page, and a row changed in between shows its newer values, as a second page read later would.
    """

    def __init__(self, build):
        super().__init__(build, "ids")

    def rows(self, ids: list[int], using: str = DEFAULT_DB_ALIAS) -> list[dict]:
        if not ids:
            return []
        connection = connections[using]
        names, values = self.run(using, ids=self._ids_parameter(connection, ids))
        if "id" not in names:
            raise ValueError("A RowsById queryset must select `id`: rows are matched to the page by it.")
        by_id = {row["id"]: row for row in (dict(zip(names, row, strict=True)) for row in values)}
        return [by_id[pk] for pk in ids if pk in by_id]

    def queryset(self, connection, *, ids):
        return self.build().order_by().filter(pk__in=RawSQL(self._ids_subquery(connection), [ids]))

    @staticmethod
    def _ids_subquery(connection) -> str:
        if connection.vendor == "postgresql":
            return "SELECT unnest(%s::bigint[])"
        # SQLite: one JSON array parameter, so the text is the same for any number of ids.
        return "SELECT value FROM json_each(%s)"

    @staticmethod
    def _ids_parameter(connection, ids: list[int]):
        if connection.vendor == "postgresql":
            return list(ids)
        return "[" + ",".join(str(int(pk)) for pk in ids) + "]"
