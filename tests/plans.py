"""The database's plan for a query the application ran, for tests that pin an index."""

from django.db import connection


def query_plan(sql: str) -> str:
    """The plan of `sql` (as captured, parameters inlined), one line per step.

    On PostgreSQL sequential scans and sorts are made dear first: a test database is small,
    and the plan should show whether an index can serve the query, as it must at national
    scale. Call inside the test's transaction (SET LOCAL).
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL enable_seqscan = off")
            cursor.execute("SET LOCAL enable_sort = off")
            cursor.execute("EXPLAIN " + sql)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql)
        return "\n".join(str(row) for row in cursor.fetchall())


def sorts(plan: str) -> bool:
    """Whether the plan sorts rows (SQLite: a temporary B-tree; PostgreSQL: a Sort node)."""
    return "TEMP B-TREE" in plan or "Sort" in plan
