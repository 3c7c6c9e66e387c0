"""Bad input meets a 4xx in the API's error shape `{status, code, detail, fields}`, never a 5xx.

Requests a partner's buggy client (or an attacker) sends to the live server, some of which
`requests` cannot express: those go through `http.client`.
"""

import datetime
import http.client
import json
import urllib.parse

import pytest

from tests.e2e.client import assert_error, describe
from tests.e2e.data import count_body, incident_body, settlement, source_body

pytestmark = pytest.mark.e2e

TOMORROW = (datetime.date.today() + datetime.timedelta(days=2)).isoformat()


@pytest.fixture
def area(partner):
    return settlement(partner, "errors", 0)


def raw_post(client, path: str, data: bytes | str, **headers):
    return client.request("POST", path, data=data, headers={"Content-Type": "application/json", **headers})


def test_json_nested_a_thousand_deep_is_400(partner):
    deep = '{"summary": ' + "[" * 1000 + "]" * 1000 + "}"
    assert_error(raw_post(partner, "/api/v1/incidents/", deep), 400)
    deep_objects = '{"a": ' * 1000 + "1" + "}" * 1000
    assert_error(raw_post(partner, "/api/v1/incidents/bulk/", deep_objects), 400)


@pytest.mark.parametrize("cursor", ["cD1SVQ%3D%3D", "cD0%3D", "cD0=", "bm9wZQ", "%FF%FE"])
# Lists ordered by id: "p=RU" (cD1SVQ==) or "p=" (cD0=) is no position there. (Areas are
# ordered by code, where "p=RU" is a fair position.)
@pytest.mark.parametrize("path", ["/api/v1/incidents/", "/api/v1/population-counts/", "/api/v1/deletions/",
                                  "/api/v1/orders/", "/api/v1/sources/"])  # fmt: skip
def test_crafted_cursors_are_400(partner, path, cursor):
    response = partner.get(f"{path}?cursor={cursor}")
    assert_error(response, 400, 404)


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
@pytest.mark.parametrize(
    "path", ["/api/v1/incidents/not-a-uuid/verify/", "/api/v1/nothing/", "/api/v1/orders/not-a-uuid/lift/"]
)
def test_unmatched_api_paths_are_json_404_whatever_the_method(partner, method, path):
    response = partner.request(method, path, json_body={} if method != "GET" else None)
    assert assert_error(response, 404)["code"] == "not_found"


def test_chunked_body_is_read_or_refused_with_411(stack, partner, area):
    """A client streaming its body (Transfer-Encoding: chunked) has no Content-Length."""
    body = json.dumps(incident_body(area, summary="Sent in chunks.")).encode()
    address = urllib.parse.urlsplit(stack.base_url)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request(
            "POST",
            "/api/v1/incidents/",
            body=iter([body[:40], body[40:]]),
            headers={
                "Authorization": f"Bearer {stack.tokens['partner']}",
                "Content-Type": "application/json",
                "Transfer-Encoding": "chunked",
            },
            encode_chunked=True,
        )
        response = connection.getresponse()
        text = response.read().decode(errors="replace")
    finally:
        connection.close()
    assert response.status in (201, 411), f"{response.status}: {text[:500]}"
    assert "This field is required" not in text


def test_five_mib_summary_is_refused(partner, area):
    response = partner.post("/api/v1/incidents/", incident_body(area, summary="x" * (5 * 1024 * 1024)))
    assert_error(response, 400, 413)


def test_a_thousand_duplicated_citations_are_400(partner, area):
    cited = [{"source": "afp-2023-08-kupiansk-evacuation-call", "locator": "¶1"}] * 1000
    body = assert_error(partner.post("/api/v1/incidents/", incident_body(area, citations=cited)), 400)
    assert any(name.startswith("citations") for name in body["fields"]), body


def test_duplicated_citation_is_400(partner, area):
    cited = [{"source": "afp-2023-08-kupiansk-evacuation-call", "locator": "¶1"}] * 2
    assert_error(partner.post("/api/v1/incidents/", incident_body(area, citations=cited)), 400)


@pytest.mark.parametrize("occurred_on", ["0001-01-01", "1900-01-01", TOMORROW, "2023-02-30", "yesterday"])
def test_impossible_dates_are_400(partner, area, occurred_on):
    body = assert_error(partner.post("/api/v1/incidents/", incident_body(area, occurred_on=occurred_on)), 400)
    assert "occurred_on" in body["fields"], body


@pytest.mark.parametrize(
    "change",
    [
        {"summary": "nul \x00 byte"},
        {"area": "UA99\x00"},
        {"citations": [{"source": "afp-2023-08-kupiansk-evacuation-call", "locator": "\x00"}]},
    ],
    ids=["summary", "area", "locator"],
)
def test_nul_bytes_in_the_body_are_400(partner, area, change):
    assert_error(partner.post("/api/v1/incidents/", {**incident_body(area), **change}), 400)


def test_nul_bytes_in_the_query_are_400(partner):
    assert_error(partner.get("/api/v1/incidents/", params={"area": "UA\x00"}), 400)
    assert_error(partner.get("/api/v1/areas/", params={"q": "Kup\x00"}), 400)


@pytest.mark.parametrize(
    "change",
    [
        {"fatalities": "two"},
        {"fatalities": -1},
        {"fatalities": 2**40},
        {"area": 5},
        {"citations": "ukrinform"},
        {"incident_type": ["shelling"]},
        {"latitude": "north"},
        {"latitude": 91},
    ],
    ids=["text-count", "negative", "huge", "number-area", "text-citations", "list-type", "text-lat", "lat-91"],
)
def test_wrong_types_are_400(partner, area, change):
    assert_error(partner.post("/api/v1/incidents/", {**incident_body(area), **change}), 400)


def test_body_that_is_not_an_object_is_400(partner):
    for data in ("[]", '"text"', "42", "null", "{", ""):
        response = raw_post(partner, "/api/v1/incidents/", data)
        assert_error(response, 400)


def test_unknown_area_code_is_400_naming_area(partner):
    body = assert_error(partner.post("/api/v1/incidents/", incident_body("UA99999999999999999")), 400)
    assert "area" in body["fields"], body


def test_more_children_than_people_is_400(coordinator, area):
    response = coordinator.post("/api/v1/population-counts/", count_body(area, total=100, children=150))
    assert_error(response, 400)


def test_more_children_killed_than_killed_is_400(partner, area):
    assert_error(partner.post("/api/v1/incidents/", incident_body(area, fatalities=1, children_killed=3)), 400)


def test_partner_may_not_report_for_another_organization(partner, area):
    response = partner.post("/api/v1/incidents/", incident_body(area, reporting_organization="e2e-beta"))
    body = assert_error(response, 400, 403)
    assert "reporting_organization" in body["fields"], body


def test_partner_may_report_as_its_own_organization(partner, area):
    response = partner.post("/api/v1/incidents/", incident_body(area, reporting_organization="e2e-alpha"))
    assert response.status_code == 201, describe(response)
    assert response.json()["reporting_organization"] == "e2e-alpha"


@pytest.mark.parametrize("reliability", ["a", "b"])
def test_partner_may_not_grade_its_source_reliable(partner, reliability):
    body = assert_error(partner.post("/api/v1/sources/", source_body(reliability=reliability)), 400, 403)
    assert "reliability" in body["fields"], body


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/incidents/", "updated_since"),
        ("/api/v1/population-counts/", "updated_since"),
        ("/api/v1/orders/", "as_of"),
        ("/api/v1/deletions/", "since"),
        (f"/api/v1/areas/{'UA63080090010026457'}/history/", "until"),
        (f"/api/v1/areas/{'UA63080090010026457'}/status/", "as_of"),
    ],
)
def test_empty_filter_values_are_400(partner, path, name):
    body = assert_error(partner.get(f"{path}?{name}="), 400)
    assert name in body["fields"], body


def test_not_json_is_415(partner):
    response = partner.request("POST", "/api/v1/incidents/", data="a=1", headers={"Content-Type": "text/plain"})
    assert_error(response, 415)
