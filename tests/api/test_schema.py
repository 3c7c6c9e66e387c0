"""The OpenAPI schema is valid and complete, and no request generated from it gets a 5xx."""

import os

import orjson
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema
from hypothesis import HealthCheck, given, settings

from tests.factories import AreaFactory, IncidentFactory, OrderFactory, PopulationCountFactory
from tests.html import links_to_other_hosts

pytestmark = pytest.mark.django_db

# Small on purpose: the run covers every operation of the schema and stays within a minute
# on SQLite. Raise it locally (SCHEMATHESIS_EXAMPLES) to fuzz harder.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))


def raw_schema() -> dict:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return orjson.loads(orjson.dumps(schema, default=str))


def test_schema_is_valid_openapi_and_documents_filters_and_errors():
    schema = raw_schema()
    validate_schema(schema)
    incidents = schema["paths"]["/api/v1/incidents/"]["get"]
    names = {p["name"] for p in incidents["parameters"]}
    assert {"within", "occurred_after", "min_killed", "updated_since", "cursor", "limit"} <= names
    assert "Error" in schema["components"]["schemas"]
    assert {"400", "401", "403", "404", "429"} <= set(incidents["responses"])
    patch = schema["paths"]["/api/v1/incidents/{uid}/"]["patch"]
    assert {"412", "428"} <= set(patch["responses"])
    assert "apiToken" in schema["components"]["securitySchemes"]


def test_schema_and_docs_served(coordinator):
    assert coordinator.get(reverse("api:schema")).status_code == 200
    docs = coordinator.get(reverse("api:docs"))
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content
    assert links_to_other_hosts(docs.content.decode()) == []


def test_browsable_api_renders_no_select_of_a_large_table(client, staff_user, area):
    for number in range(30):
        AreaFactory(code=f"UA96{number:015d}")
    client.force_login(staff_user)
    for route in ("api:incident-list", "api:order-list", "api:population-count-list", "api:area-list"):
        page = client.get(reverse(route), HTTP_ACCEPT="text/html")
        assert page.status_code == 200
        # The raw-data form's one-option media type select is all there is: no row of any table.
        assert page.content.count(b"<option") <= 2, route


@pytest.fixture
def wsgi_app():
    # The WSGI handler closes the database connection around each request, which would end
    # the test's transaction; Django's test client avoids that the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def seeded(area):
    IncidentFactory(area=area)
    OrderFactory(area=area)
    PopulationCountFactory(area=area)


def test_no_server_errors(wsgi_app, coordinator, seeded):
    """Every operation, fuzzed from the schema as a coordinator (the role that may call them all).

    Hypothesis is driven per operation here rather than through schemathesis' pytest plugin,
    which does not support this pytest version.
    """
    headers = {"Authorization": f"Bearer {coordinator.raw_key}"}
    failures, out_of_range = [], []
    operations = [result.ok() for result in schemathesis.openapi.from_dict(raw_schema()).get_all_operations()]
    assert len(operations) > 30

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case):
            # A savepoint per request: on PostgreSQL a refused statement would otherwise abort
            # the test's transaction and fail every later request (production runs autocommit).
            with transaction.atomic():
                response = case.call(app=wsgi_app, headers=headers)
                transaction.set_rollback(True)
            if response.status_code == 400 and "out of range" in response.text:
                out_of_range.append(f"{case.method} {case.formatted_path} {case.query}")
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} {case.query}: {response.status_code}")
            elif response.status_code >= 400 and "json" in response.headers.get("Content-Type", [""])[0]:
                body = response.json()
                if not {"status", "code", "detail", "fields"} <= set(body):
                    failures.append(f"{case.method} {case.formatted_path}: error shape {body}")

        call()
    assert not failures, "\n".join(failures)
    # Caught by the exception handler's last resort; each should become a field error.
    print("\n".join(out_of_range))
