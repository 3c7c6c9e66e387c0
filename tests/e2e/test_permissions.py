"""Another organization's unverified report does not exist for a partner, wherever it looks.

The report is made over HTTP by one partner; the other partner then meets a 404 for it and
never finds its uid: not in the list, not by its area, not in CSV or GeoJSON exports, not in
the area's status reasons or history. The reporting organization and the coordinator see it.
"""

import datetime

import pytest

from tests.e2e.client import assert_error, describe
from tests.e2e.data import OBLASTS, incident_body, settlement
from tests.e2e.harness import wait_for

pytestmark = pytest.mark.e2e

RECENT = (datetime.date.today() - datetime.timedelta(days=2)).isoformat()


@pytest.fixture(scope="module")
def hidden(stack):
    """(area code, uid) of an incident other_partner reported, once the worker has judged the area."""
    from tests.e2e.client import Client

    other = Client(stack.base_url, stack.tokens["other_partner"])
    coordinator = Client(stack.base_url, stack.tokens["coordinator"])
    area = settlement(other, "permissions", 0)
    response = other.post("/api/v1/incidents/", incident_body(area, occurred_on=RECENT, incident_type="missile_strike"))
    assert response.status_code == 201, describe(response)
    uid = response.json()["uid"]

    def judged():
        status = coordinator.json("GET", f"/api/v1/areas/{area}/status/")
        return any(uid in reason.get("uids", []) for reason in status["reasons"])

    wait_for(judged, what=f"the worker to count incident {uid} in {area}'s status", timeout=60, interval=0.5)
    return area, uid


def test_the_reporting_organization_and_the_coordinator_see_it(hidden, other_partner, coordinator):
    area, uid = hidden
    for client in (other_partner, coordinator):
        assert client.get(f"/api/v1/incidents/{uid}/").status_code == 200
        assert uid in {row["uid"] for row in client.all_pages("/api/v1/incidents/", params={"area": area})}


def test_detail_and_writes_are_404_for_another_partner(hidden, partner, viewer):
    _area, uid = hidden
    for client in (partner, viewer):
        assert_error(client.get(f"/api/v1/incidents/{uid}/"), 404)
    assert_error(partner.patch(f"/api/v1/incidents/{uid}/", {"summary": "x"}, headers={"If-Match": "*"}), 404)
    assert_error(partner.delete(f"/api/v1/incidents/{uid}/"), 404)


@pytest.mark.parametrize(
    "params",
    [{}, {"area": "AREA"}, {"within": "OBLAST"}, {"verification_state": "reported"}, {"ordering": "id"}],
    ids=["all", "area", "within", "reported", "oldest-first"],
)
def test_lists_never_show_it(hidden, partner, params):
    area, uid = hidden
    oblast = partner.json("GET", "/api/v1/areas/", params={"pcode": OBLASTS["permissions"], "level": "oblast"})
    values = {"AREA": area, "OBLAST": oblast["results"][0]["code"]}
    query = {name: values.get(value, value) for name, value in params.items()}
    assert uid not in {row["uid"] for row in partner.all_pages("/api/v1/incidents/", params=query)}


@pytest.mark.parametrize("fmt", ["csv", "geojson"])
def test_exports_never_show_it(hidden, partner, fmt):
    area, uid = hidden
    for params in ({"format": fmt}, {"format": fmt, "area": area}):
        response = partner.get("/api/v1/incidents/export/", params=params)
        assert response.status_code == 200, describe(response)
        assert uid not in response.text


def test_status_reasons_and_history_never_name_it(hidden, partner, viewer):
    area, uid = hidden
    for client in (partner, viewer):
        for path in (f"/api/v1/areas/{area}/status/", f"/api/v1/areas/{area}/history/"):
            response = client.get(path)
            assert response.status_code == 200, describe(response)
            assert uid not in response.text, describe(response)


def test_viewer_may_read_but_not_write(viewer, partner):
    area = settlement(partner, "permissions", 1)
    assert viewer.get("/api/v1/incidents/").status_code == 200
    assert_error(viewer.post("/api/v1/incidents/", incident_body(area)), 403)
    assert_error(viewer.post("/api/v1/sources/", {"slug": "viewer-source", "title": "x"}), 403)
    assert_error(partner.post("/api/v1/orders/", {}), 403)
