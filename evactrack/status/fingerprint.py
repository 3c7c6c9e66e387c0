"""Checksums of every area's inputs, so a full recompute judges only what could have changed.

A full recompute must catch everything: time windows that moved, and any change to the inputs,
even one whose dirty mark or message was lost or that was written past the services. Judging
all 30,000 areas in Python each hour costs seconds; reading the inputs costs milliseconds. So a
full run reads every input row that the engine would read at `as_of`, hashes the columns
declared in evactrack.status.inputs (those the loader reads) in SQL, sums the hashes per area
and subtracts the sums stored at the last full run (InputDigest): one statement, whatever the
number of areas. An area is judged again when

- its own sum moved (a fact on it was added, edited, deleted, or entered or left the window),
- the `subtree` sum of an ancestor moved (a subtree order or a designation above it changed),
- its stored `recheck_on` date has come (the engine's own answer to "when could the same inputs
  judge differently?": a window or hold ends, an order or designation runs out),

and its ancestors are judged with it for the roll-up. Anything else would be judged exactly as
stored. The policy and the tree are checked as a whole: if either differs from the last full
run, every area is judged ("cold"), as is every area once a night (a beat schedule) as a
safety net against a hash collision (two different rows whose 32-bit hashes sum alike).

Every write to an area leaves a history row and stamps `updated_at`, so the tree's digest is the
latest of each (two index lookups), not a hash of 30,000 names.
"""

from __future__ import annotations

import dataclasses
import datetime
import hashlib
from collections.abc import Mapping

import orjson
from django.db import connection
from django.db.backends.signals import connection_created
from django.dispatch import receiver

from evactrack.status.engine import PolicyRules
from evactrack.status.inputs import (
    DESIGNATIONS,
    INCIDENTS,
    ORDER_TARGETS,
    POPULATION_COUNTS,
    incidents_in_reach_sql,
)
from evactrack.status.models import InputDigest
from locations.models import Area
from reports.choices import CountKind, OrderState, TargetScope
from reports.models import ControlDesignation, EvacuationOrder, Incident, OrderTarget, PopulationCount


@receiver(connection_created)
def _sqlite_hashtext(sender, connection, **kwargs):
    """Give SQLite PostgreSQL's `hashtext(text) → int4`, so one SQL text serves both databases.

    The two hash differently; digests are only ever compared within one database.
    """
    if connection.vendor == "sqlite":
        connection.connection.create_function("hashtext", 1, _hash32, deterministic=True)


def _hash32(text: str | None) -> int | None:
    if text is None:
        return None
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=4).digest(), "little", signed=True)


def _text(*columns: str) -> str:
    """One '|'-joined text of these columns, NULL written as an empty string (|| turns NULL into NULL)."""
    return " || '|' || ".join(f"COALESCE(CAST({column} AS TEXT), '')" for column in columns)


def _in(values) -> tuple[str, list]:
    values = sorted(values)
    return ", ".join(["%s"] * len(values)), values


def facts_sql(rules: PolicyRules, as_of: datetime.date) -> tuple[str, list]:
    """(area_id, own, subtree) per input row the engine reads at as_of: the same filters as compute."""
    first_day = as_of - datetime.timedelta(days=rules.incident_lookback_days() - 1)
    shown_since = as_of - datetime.timedelta(days=rules.lifted_shown_days)
    states, state_params = _in(rules.counted_states)
    kinds, kind_params = _in([CountKind.PRESENT, CountKind.BASELINE])
    order_states, order_state_params = _in([OrderState.ACTIVE, OrderState.LIFTED, OrderState.EXPIRED])
    incident, count = Incident._meta.db_table, PopulationCount._meta.db_table
    target, order = OrderTarget._meta.db_table, EvacuationOrder._meta.db_table
    designation = ControlDesignation._meta.db_table
    # The row's id too: two equal rows are two facts.
    incident_row = _text("i.id", *INCIDENTS.sql_columns({"": "i"}))
    in_reach, in_reach_params = incidents_in_reach_sql("i", first_day, as_of)
    count_row = _text("c.id", *POPULATION_COUNTS.sql_columns({"": "c"}))
    order_row = _text("t.id", *ORDER_TARGETS.sql_columns({"": "t", "order": "o"}), "n.targets", "s.since")
    designation_row = _text("cd.id", *DESIGNATIONS.sql_columns({"": "cd"}))
    sql = f"""
        SELECT i.area_id, hashtext({incident_row}) AS own, 0 AS subtree
        FROM {incident} i
        WHERE {in_reach} AND i.verification_state IN ({states})
        UNION ALL
        SELECT c.area_id, hashtext({count_row}), 0
        FROM {count} c
        WHERE c.kind IN ({kinds}) AND c.reference_date <= %s
        UNION ALL
        SELECT t.area_id, hashtext({order_row}), CASE WHEN t.scope = %s THEN hashtext({order_row}) ELSE 0 END
        FROM {target} t
        JOIN {order} o ON o.id = t.order_id
        JOIN (SELECT order_id, COUNT(*) AS targets FROM {target} GROUP BY order_id) n ON n.order_id = t.order_id
        LEFT JOIN (
            SELECT supersedes_id, MIN(effective_from) AS since FROM {order}
            WHERE supersedes_id IS NOT NULL AND state <> %s GROUP BY supersedes_id
        ) s ON s.supersedes_id = o.id
        WHERE o.state IN ({order_states}) AND o.effective_from <= %s
          AND (o.lifted_on IS NULL OR o.lifted_on > %s) AND (o.effective_until IS NULL OR o.effective_until >= %s)
        UNION ALL
        SELECT cd.area_id, hashtext({designation_row}), hashtext({designation_row})
        FROM {designation} cd
        WHERE cd.valid_from <= %s AND (cd.valid_until IS NULL OR cd.valid_until >= %s)
    """
    params = [
        *in_reach_params, *state_params,
        *kind_params, as_of,
        TargetScope.SUBTREE, OrderState.DRAFT, *order_state_params, as_of, shown_since, shown_since,
        as_of, as_of,
    ]  # fmt: skip
    return sql, params


def changed_areas(rules: PolicyRules, as_of: datetime.date) -> tuple[list[tuple[int, str]], list[str]]:
    """([(id, path)] of areas whose own inputs moved, [paths] of those whose inherited facts moved).

    First the sums over all areas (one pass, no grouping): equal, and nothing moved. Otherwise
    the same per area. 1 query when nothing changed, 2 otherwise.
    """
    facts, params = facts_sql(rules, as_of)
    digest, area = InputDigest._meta.db_table, Area._meta.db_table
    difference = f"({facts} UNION ALL SELECT area_id, -own, -subtree FROM {digest}) AS f"
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql" and connection.in_atomic_block:
            # Parallel workers only add start-up and a merge sort to statements this size.
            cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
        cursor.execute(f"SELECT SUM(own), SUM(subtree) FROM {difference}", params)
        if not any(cursor.fetchone()):
            return [], []
        cursor.execute(
            f"""
            SELECT a.id, a.path, d.subtree_delta
            FROM (
                SELECT area_id, SUM(own) AS own_delta, SUM(subtree) AS subtree_delta FROM {difference} GROUP BY area_id
            ) d
            JOIN {area} a ON a.id = d.area_id
            WHERE d.own_delta <> 0 OR d.subtree_delta <> 0
            """,
            params,
        )
        rows = cursor.fetchall()
    return [(area_id, path) for area_id, path, _delta in rows], [path for _id, path, delta in rows if delta]


def digests_store(rules: PolicyRules, as_of: datetime.date, area_ids: list[int] | None = None) -> None:
    """Store the current sums of these areas (of all, with None) as what later runs compare with. 2 queries."""
    facts, params = facts_sql(rules, as_of)
    table = InputDigest._meta.db_table
    insert = f"INSERT INTO {table} (area_id, own, subtree) SELECT area_id, SUM(own), SUM(subtree) FROM ({facts}) AS f"
    with connection.cursor() as cursor:
        if area_ids is None:
            cursor.execute(f"DELETE FROM {table}")
            cursor.execute(f"{insert} GROUP BY area_id", params)
            return
        among, ids = _id_list(area_ids)
        cursor.execute(f"DELETE FROM {table} WHERE area_id {among}", [ids])
        cursor.execute(f"{insert} WHERE area_id {among} GROUP BY area_id", [*params, ids])


def _id_list(ids) -> tuple[str, object]:
    """A membership test on one parameter, however many ids: an array or a JSON list."""
    if connection.vendor == "postgresql":
        return "= ANY(%s)", list(ids)
    return "IN (SELECT value FROM json_each(%s))", orjson.dumps(list(ids)).decode()


def digests_forget() -> None:
    """Drop the baseline: the next full run judges every area (after a history rebuild, say)."""
    InputDigest.objects.all().delete()


def tree_digest() -> str:
    """What changes when an area is added, renamed, moved or removed. 1 query, two index lookups.

    Every write to an area (services, gazetteer import, admin, deletion) appends a history row.
    """
    history = Area.history.model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT MAX(history_id) FROM {history}), (SELECT MAX(updated_at) FROM {Area._meta.db_table})"
        )
        latest_change, updated = cursor.fetchone()
    return hashlib.sha1(f"{latest_change}:{updated}".encode(), usedforsecurity=False).hexdigest()


def policy_digest(rules: PolicyRules) -> str:
    values = {
        field.name: sorted(value.items())
        if isinstance(value, Mapping)
        else sorted(value)
        if isinstance(value, frozenset)
        else value
        for field in dataclasses.fields(rules)
        for value in [getattr(rules, field.name)]
    }
    return hashlib.sha1(orjson.dumps(values, option=orjson.OPT_SORT_KEYS), usedforsecurity=False).hexdigest()
