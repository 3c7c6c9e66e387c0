"""Schemathesis against the live server, from the schema it serves: 0 failures.

Every operation is fuzzed as a coordinator (the role that may call them all), a bounded number
of examples each, with the checks `not_a_server_error` and `response_schema_conformance`, and
every error answer must have the API's error shape. Hypothesis is driven per operation (the
schemathesis pytest plugin does not support this pytest version). Runs last: it writes
random rows.

Excluded checks and operations, with the reason (keep this list short and honest):
- none.
"""

import os

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.errors import FailureGroup
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.e2e.client import ERROR_KEYS, Client, describe
from tests.e2e.data import SEEDED_SOURCE, count_body, incident_body, order_body, settlement, source_body

pytestmark = pytest.mark.e2e

# Bounded: every operation of the schema within a minute or two. SCHEMATHESIS_EXAMPLES fuzzes harder.
MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_EXAMPLES", "15"))
CHECKS = [not_a_server_error, response_schema_conformance]
EXCLUDED_OPERATIONS: dict[str, str] = {}  # "METHOD /path": why


def test_schema_is_json_when_json_is_asked_for(coordinator):
    response = coordinator.get("/api/schema/", params={"format": "json"})
    assert response.status_code == 200, describe(response)
    assert response.headers["Content-Type"].startswith(("application/json", "application/vnd.oai.openapi+json"))
    assert response.json()["openapi"].startswith("3.")


@pytest.fixture(scope="module")
def known(stack):
    """One object of each resource over HTTP, so generated requests reach past 404."""
    client = Client(stack.base_url, stack.tokens["coordinator"])
    area = settlement(client, "writes", 40)
    made = {
        "incidents": client.json("POST", "/api/v1/incidents/", json_body=incident_body(area), expect=201)["uid"],
        "orders": client.json("POST", "/api/v1/orders/", json_body=order_body(area), expect=201)["uid"],
        "population-counts": client.json("POST", "/api/v1/population-counts/", json_body=count_body(area), expect=201)[
            "uid"
        ],
        "sources": client.json("POST", "/api/v1/sources/", json_body=source_body(), expect=201)["slug"],
    }
    gone = client.json("POST", "/api/v1/incidents/", json_body=incident_body(area), expect=201)["uid"]
    assert client.delete(f"/api/v1/incidents/{gone}/").status_code == 204
    return {
        "area": area,
        "source": SEEDED_SOURCE,
        "uids": {k: v for k, v in made.items() if k != "sources"},
        # Tombstones are numbered and the feed does not show their ids: at least one exists now.
        "path": {"code": area, "slug": made["sources"], "id": 1},
        "urls": {resource: f"/api/v1/{resource}/{key}/" for resource, key in made.items()},
    }


def current_etag(client, known, resource) -> str | None:
    url = known["urls"].get(resource)
    return client.get(url).headers.get("ETag") if url else None


def aimed_at_known(case, known, etag) -> None:
    """Point the case's path, body references and If-Match at the known objects."""
    resource = case.path.split("/")[3] if case.path.count("/") >= 3 else ""
    for name in case.path_parameters or {}:
        value = known["uids"].get(resource) if name == "uid" else known["path"].get(name)
        if value is not None:
            case.path_parameters[name] = value
    case.body = _references_known(case.body, known)
    if etag and "If-Match" in (case.headers or {}):
        case.headers["If-Match"] = etag


def _references_known(value, known):
    if isinstance(value, list):
        return [_references_known(item, known) for item in value]
    if not isinstance(value, dict):
        return value
    value = {key: _references_known(item, known) for key, item in value.items()}
    for key in ("area", "source"):
        if isinstance(value.get(key), str):
            value[key] = known[key]
    if isinstance(value.get("destinations"), list):
        value["destinations"] = [known["area"]] if value["destinations"] else []
    return value


def problems_of(case, response, headers) -> list[str]:
    where = f"{case.method} {case.formatted_path} {case.query or ''}"
    try:
        case.validate_response(response, checks=CHECKS, headers=headers)
    except FailureGroup as group:
        return [f"{where}: {response.status_code} {failure.title}" for failure in group.exceptions]
    except AssertionError as failure:
        return [f"{where}: {response.status_code} {str(failure).splitlines()[0]}"]
    if response.status_code >= 400 and "json" in response.headers.get("Content-Type", ""):
        body = response.json()
        if not isinstance(body, dict) or not set(body) >= ERROR_KEYS:
            return [f"{where}: {response.status_code} not the error shape: {str(body)[:200]}"]
    return []


def test_every_answer_matches_the_schema(stack, coordinator, known):
    headers = {"Authorization": f"Bearer {stack.tokens['coordinator']}"}
    schema = schemathesis.openapi.from_url(f"{stack.base_url}/api/schema/?format=json", headers=headers, timeout=60)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 30, [op.label for op in operations]
    session = requests.Session()
    problems = []

    for operation in operations:
        if operation.label in EXCLUDED_OPERATIONS:
            continue

        @given(case=operation.as_strategy(), aim=st.sampled_from(["generated", "known", "known with ETag"]))
        @settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def call(case, aim):
            etag = None
            if aim != "generated":
                resource = case.path.split("/")[3] if case.path.count("/") >= 3 else ""
                etag = current_etag(coordinator, known, resource) if aim == "known with ETag" else None
                aimed_at_known(case, known, etag)
            response = case.call(base_url=stack.base_url, session=session, headers=headers)
            problems.extend(problems_of(case, response, headers))

        call()
    assert not problems, f"{len(set(problems))} failures:\n" + "\n".join(sorted(set(problems)))
