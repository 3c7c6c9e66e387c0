"""Rows by id, with SQL that Django compiles once.

A hot list reads a page in two steps. The view's queryset, with the caller's visibility, the
filters and the cursor, finds the page's ids; this statement then reads those rows' columns.
Compiling a query of eight SQL expressions (evactrack.api.columns) cost Django more on each
request than the database spent running it; the statement's text depends only on the database,
so it is compiled on first use and run again with each page's ids as its one parameter. The
database's own statement cache (SQLite) or plan cache then sees the same text every time.
"""

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models.expressions import RawSQL

# Stands for the page's ids in the compiled parameters until a page supplies them.
IDS = "\x00page ids\x00"


class RowsById:
    """The rows of `build()` (a `.values()` queryset) whose ids are given, in the order given.

    The two steps run as two statements: a row deleted in between is left out of the page, and
    a row changed in between shows its newer values, as a second page read later would.
    """

    def __init__(self, build):
        self.build = build
        # By database: the text differs between SQLite and PostgreSQL. Two threads compiling at
        # once both store the same text.
        self._compiled = {}

    def rows(self, ids: list[int], using: str = DEFAULT_DB_ALIAS) -> list[dict]:
        if not ids:
            return []
        connection = connections[using]
        sql, params, at, names = self._statement(connection)
        params = list(params)
        params[at] = self._ids_parameter(connection, ids)
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]
        by_id = {row["id"]: row for row in rows}
        return [by_id[pk] for pk in ids if pk in by_id]

    def _statement(self, connection) -> tuple[str, tuple, int, list[str]]:
        key = (connection.alias, connection.vendor)
        if key not in self._compiled:
            self._compiled[key] = self._compile(connection)
        return self._compiled[key]

    def _compile(self, connection) -> tuple[str, tuple, int, list[str]]:
        query = self.build().order_by().filter(pk__in=RawSQL(self._ids_subquery(connection), [IDS])).query
        # The columns' names, in the order Django's own .values() reads them (ValuesIterable).
        names = list(query.selected) if query.selected else [
            *query.extra_select, *query.values_select, *query.annotation_select,
        ]  # fmt: skip
        if "id" not in names:
            raise ValueError("A RowsById queryset must select `id`: rows are matched to the page by it.")
        sql, params = query.get_compiler(connection=connection).as_sql()
        return sql, tuple(params), list(params).index(IDS), names

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
