"""The OpenAPI schema is valid and complete, and says what the API does (the fuzzing that checks
answers against it is in test_schemathesis.py)."""

import orjson
import pytest
from django.urls import reverse
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

from tests.factories import AreaFactory
from tests.html import links_to_other_hosts

pytestmark = pytest.mark.django_db


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


def parameters_of(operation) -> dict[str, dict]:
    return {parameter["name"]: parameter for parameter in operation.get("parameters", [])}


def test_bulk_answers_a_bare_array_and_takes_no_list_filters():
    bulk = raw_schema()["paths"]["/api/v1/incidents/bulk/"]["post"]
    created = bulk["responses"]["201"]["content"]["application/json"]["schema"]
    assert created == {"type": "array", "items": {"$ref": "#/components/schemas/Incident"}}
    assert set(parameters_of(bulk)) == {"Idempotency-Key"}


@pytest.mark.parametrize("resource", ["areas", "incidents", "population-counts"])
def test_an_export_takes_the_filters_of_its_list(resource):
    paths = raw_schema()["paths"]
    listed = set(parameters_of(paths[f"/api/v1/{resource}/"]["get"])) - {"cursor", "limit", "count"}
    exported = set(parameters_of(paths[f"/api/v1/{resource}/export/"]["get"]))
    assert exported == listed | {"format"}


@pytest.mark.parametrize(
    "path", ["/api/v1/incidents/{uid}/", "/api/v1/orders/{uid}/", "/api/v1/population-counts/{uid}/",
             "/api/v1/sources/{slug}/"],
)  # fmt: skip
def test_if_match_is_required_to_update_and_optional_to_delete(path):
    operations = raw_schema()["paths"][path]
    for method in ("put", "patch"):
        assert parameters_of(operations[method])["If-Match"]["required"] is True, method
        assert {"412", "428"} <= set(operations[method]["responses"]), method
    if "delete" in operations:
        assert not parameters_of(operations["delete"])["If-Match"].get("required", False)
        assert "412" in operations["delete"]["responses"]
        assert "428" not in operations["delete"]["responses"]


def test_id_filters_state_their_bounds():
    paths = raw_schema()["paths"]
    for path, name in (("/api/v1/areas/", "parent_id"), ("/api/v1/incidents/", "reporting_organization_id")):
        schema = parameters_of(paths[path]["get"])[name]["schema"]
        assert schema["type"] == "integer", name
        assert schema["minimum"] == 1, name
    assert parameters_of(paths["/api/v1/incidents/"]["get"])["min_killed"]["schema"]["minimum"] == 0


def test_schema_is_served_as_json_for_format_json(coordinator):
    response = coordinator.get(reverse("api:schema"), {"format": "json"})
    assert response.status_code == 200
    assert "json" in response["Content-Type"]
    assert orjson.loads(response.content)["openapi"].startswith("3.")
    assert "json" not in coordinator.get(reverse("api:schema"))["Content-Type"]


@pytest.mark.parametrize(
    ("route", "kwargs", "name"),
    [
        ("api:incident-list", {}, "updated_since"),
        ("api:deletion-list", {}, "since"),
        ("api:order-list", {}, "as_of"),
        ("api:area-list", {}, "parent_id"),
        ("api:area-status", {"code": "UA98010010010000001"}, "as_of"),
        ("api:area-history", {"code": "UA98010010010000001"}, "since"),
        ("api:area-history", {"code": "UA98010010010000001"}, "until"),
    ],
)
def test_an_empty_date_or_number_parameter_is_refused(coordinator, area, route, kwargs, name):
    response = coordinator.get(reverse(route, kwargs=kwargs), {name: ""})
    assert response.status_code == 400, response.content
    assert list(response.json()["fields"]) == [name]


def test_an_empty_text_filter_is_ignored(coordinator, area):
    assert coordinator.get(reverse("api:area-list"), {"within": ""}).status_code == 200
