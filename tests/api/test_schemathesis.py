"""Every request generated from the served OpenAPI schema gets an answer the schema describes.

Hypothesis is driven per operation here rather than through schemathesis' pytest plugin,
which does not support this pytest version; the app is called in-process over WSGI.
"""

import os
import traceback

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.core import NOT_SET
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from evactrack.kernel.api.conditional import etag_of
from reports import services
from reports.models import Tombstone
from tests.factories import DesignationFactory, IncidentFactory, OrderFactory, PopulationCountFactory, SourceFactory

pytestmark = pytest.mark.django_db

# Small on purpose: the run covers every operation of the schema and stays within a minute
# on SQLite. Raise it locally (SCHEMATHESIS_EXAMPLES) to fuzz harder.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "10"))
ERROR_KEYS = {"status", "code", "detail", "fields"}


@pytest.fixture
def wsgi_app():
    # The WSGI handler closes the database connection around each request, which would end
    # the test's transaction; Django's test client avoids that the same way.
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    signals.got_request_exception.connect(_record_traceback)
    try:
        yield get_wsgi_application()
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)
        signals.got_request_exception.disconnect(_record_traceback)


# The last lines of each server error's traceback: a 500's body says nothing.
TRACEBACKS: list[str] = []


def _record_traceback(sender, request=None, **kwargs):
    TRACEBACKS.append(f"{request.method} {request.get_full_path()}:\n" + "".join(traceback.format_exc(limit=-4)))


@pytest.fixture
def known(area, coordinator):
    """One object of each resource, and what a request names them by: generated values
    alone (random uids, area codes, slugs) reach little beyond 400 and 404."""
    source = SourceFactory(slug="fuzz-source")
    incident = IncidentFactory(area=area, source=source)
    order = OrderFactory(area=area, source=source)
    count = PopulationCountFactory(area=area, source=source)
    designation = DesignationFactory(area=area, source=source)
    services.incident_delete(incident=IncidentFactory(area=area, source=source), actor=coordinator.user)
    tombstone = Tombstone.objects.get()
    return {
        "area": area.code,
        "source": source.slug,
        "path": {"code": area.code, "uid": str(incident.uid), "slug": source.slug, "id": tombstone.pk},
        "uids": {"incidents": str(incident.uid), "orders": str(order.uid), "population-counts": str(count.uid),
                 "designations": str(designation.uid)},
        "etags": {"incidents": etag_of(incident), "orders": etag_of(order), "population-counts": etag_of(count),
                  "sources": etag_of(source), "designations": etag_of(designation)},
    }  # fmt: skip


def aimed_at_known(case, known, with_etag: bool) -> None:
    """Point the case's path, body references and If-Match at the known objects."""
    resource = case.path.split("/")[3]
    for name in case.path_parameters:
        value = known["uids"].get(resource) if name == "uid" else known["path"].get(name)
        if value is not None:
            case.path_parameters[name] = value
    case.body = _references_known(case.body, known)
    if with_etag and resource in known["etags"] and "If-Match" in (case.headers or {}):
        case.headers["If-Match"] = known["etags"][resource]


def _references_known(value, known):
    if isinstance(value, list):
        return [_references_known(item, known) for item in value]
    if not isinstance(value, dict):
        return value
    value = {key: _references_known(item, known) for key, item in value.items()}
    for key, kind in (("area", "area"), ("source", "source")):
        if isinstance(value.get(key), str):
            value[key] = known[kind]
    if isinstance(value.get("destinations"), list):
        value["destinations"] = [known["area"]] if value["destinations"] else []
    return value


def problems_of(case, response, headers) -> list[str]:
    body = "" if case.body is NOT_SET else repr(case.body)[:300]
    where = f"{case.method} {case.formatted_path} {case.query or ''} {body}"
    try:
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance], headers=headers)
    except FailureGroup as group:
        return [f"{where}: {response.status_code} {failure.title}" for failure in group.exceptions]
    if response.status_code >= 400 and "json" in response.headers.get("Content-Type", [""])[0]:
        body = response.json()
        if not isinstance(body, dict) or not set(body) >= ERROR_KEYS:
            return [f"{where}: error shape {body}"]
    return []


def test_every_answer_matches_the_schema(wsgi_app, coordinator, known):
    """Every operation, fuzzed as a coordinator (the role that may call them all), with the
    checks not_a_server_error and response_schema_conformance."""
    headers = {"Authorization": f"Bearer {coordinator.raw_key}"}
    # The schema as partners download it: ?format=json must answer JSON.
    schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", wsgi_app, headers=headers)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30
    problems = []
    TRACEBACKS.clear()

    for operation in operations:

        @given(case=operation.as_strategy(), aim=st.sampled_from(["generated", "known", "known with ETag"]))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case, aim):
            if aim != "generated":
                aimed_at_known(case, known, with_etag=aim == "known with ETag")
            # A savepoint per request: on PostgreSQL a refused statement would otherwise abort
            # the test's transaction and fail every later request (production runs autocommit).
            with transaction.atomic():
                response = case.call(headers=headers)
                transaction.set_rollback(True)
            problems.extend(problems_of(case, response, headers))

        call()
    assert not problems, "\n".join(sorted(set(problems)) + TRACEBACKS)


# --- cases the fuzzer found, pinned ---------------------------------------------------------------


def test_a_patch_of_targets_defaults_their_scope_and_needs_their_area(coordinator, area):
    order = OrderFactory(area=area, scope="single")
    url = reverse("api:order-detail", kwargs={"uid": order.uid})
    etag = coordinator.get(url)["ETag"]
    response = coordinator.patch(url, {"targets": [{}]}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 400, response.content
    assert "targets" in " ".join(response.json()["fields"]), response.json()
    response = coordinator.patch(url, {"targets": [{"area": area.code}]}, format="json", HTTP_IF_MATCH=etag)
    assert response.status_code == 200, response.content
    assert response.json()["targets"] == [{"area": area.code, "scope": "subtree", "note": ""}]
