"""Migrations that fill columns of existing rows, run over stored rows.

A test database is migrated empty, where the fill touches nothing. (PostgreSQL refuses to
build indexes in the transaction that fills the columns of many stored rows: "pending trigger
events". A few rows here do not reproduce that refusal, so the oblast and raion indexes have a
migration of their own, apart from the fill.)
"""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("reports", "0003_incident_review_queue_index")]


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def test_the_oblast_and_raion_migration_fills_incidents_already_stored():
    apps = migrate(BEFORE)
    Area, Incident = apps.get_model("locations", "Area"), apps.get_model("reports", "Incident")
    now = timezone.now()
    parent, areas = None, {}
    for level, code in (("country", "UA"), ("oblast", "UA63"), ("raion", "UA6308"), ("hromada", "UA630809")):
        path = (parent.path if parent else "") + code + "/"
        parent = areas[level] = Area.objects.create(
            code=code, level=level, category=level, path=path, parent=parent, name_uk=code, name_en=code,
            created_at=now, updated_at=now,
        )  # fmt: skip
    for level in ("hromada", "oblast", "country"):
        Incident.objects.create(
            area=areas[level], incident_type="shelling", occurred_on=datetime.date(2023, 8, 10), summary=level,
            created_at=now, updated_at=now,
        )  # fmt: skip

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from reports.models import Incident as CurrentIncident

    located = {row[0]: row[1:] for row in CurrentIncident.objects.values_list("summary", "oblast_id", "raion_id")}
    assert located == {
        "hromada": (areas["oblast"].pk, areas["raion"].pk),
        "oblast": (areas["oblast"].pk, None),
        "country": (None, None),
    }
