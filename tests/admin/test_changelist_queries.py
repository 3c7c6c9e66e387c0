"""No change list counts a whole large table: counts are capped (or estimated on PostgreSQL),
and the number of queries does not grow with the rows shown."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.admin.data import kupiansk_with_facts
from tests.factories import IncidentFactory
from tests.plans import query_plan, sorts

pytestmark = pytest.mark.django_db
LISTS = [
    "admin:reports_incident_changelist",
    "admin:reports_evacuationorder_changelist",
    "admin:reports_populationcount_changelist",
    "admin:reports_citation_changelist",
    "admin:locations_area_changelist",
    "admin:locations_areaalias_changelist",
    "admin:status_statuschange_changelist",
]


@pytest.fixture
def kupiansk(db):
    return kupiansk_with_facts()


def uncapped_counts(queries):
    return [q["sql"] for q in queries if "COUNT(" in q["sql"].upper() and "LIMIT" not in q["sql"].upper()]


@pytest.mark.parametrize("url", LISTS)
def test_no_uncapped_count(admin_client_logged_in, kupiansk, url):
    with CaptureQueriesContext(connection) as captured:
        response = admin_client_logged_in.get(reverse(url))
    assert response.status_code == 200
    # Counting the filter sidebar's own small tables (organizations, oblasts) would be fine;
    # none of our lists does even that.
    assert uncapped_counts(captured.captured_queries) == []


def test_the_incident_list_runs_as_many_queries_for_many_rows_as_for_one(admin_client_logged_in, kupiansk):
    url = reverse("admin:reports_incident_changelist")
    admin_client_logged_in.get(url)  # warm the session and content types
    with CaptureQueriesContext(connection) as one:
        admin_client_logged_in.get(url)
    for day in range(1, 30):
        IncidentFactory(
            area=kupiansk.city, source=kupiansk.source, occurred_on=kupiansk.incident.occurred_on.replace(day=day)
        )
    with CaptureQueriesContext(connection) as many:
        admin_client_logged_in.get(url)
    assert len(many) == len(one), "\n".join(q["sql"] for q in many.captured_queries)


def test_the_review_queue_is_read_in_order_from_its_index(admin_client_logged_in, kupiansk):
    """Awaiting review first, newest first: one index in that order. Ordered by a CASE on the
    state, the page would sort every incident (seconds at 1,000,000)."""
    with CaptureQueriesContext(connection) as captured:
        response = admin_client_logged_in.get(reverse("admin:reports_incident_changelist"))
    assert response.status_code == 200
    page_sql = next(
        q["sql"] for q in captured.captured_queries if q["sql"].startswith('SELECT "reports_incident"."id"')
    )
    plan = query_plan(page_sql)
    assert "reports_incident_queue" in plan and not sorts(plan), plan
