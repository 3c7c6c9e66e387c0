"""Every write of every resource, with ETags and If-Match, as a partner's client makes them.

PUT and PATCH: no If-Match → 428, a stale one → 412, the current one → 200 with a new ETag
(and the saved change is what a GET reads afterwards). This is where PostgreSQL answered 500
after saving, so a retry then met 412 for a write that had happened.
"""

import pytest

from tests.e2e.client import assert_error, describe
from tests.e2e.data import count_body, incident_body, order_body, settlement, source_body

pytestmark = pytest.mark.e2e

STALE = '"00000000000000000000000000000000"'


def created(client, path, body) -> tuple[str, str]:
    """POST a new object; (its URL, its ETag)."""
    response = client.post(path, body)
    assert response.status_code == 201, describe(response)
    assert response.headers.get("ETag"), describe(response)
    return response.headers["Location"], response.headers["ETag"]


def etag_of(client, url) -> str:
    response = client.get(url)
    assert response.status_code == 200, describe(response)
    return response.headers["ETag"]


# resource: (list path, who creates, who edits, body for a new one, the PUT body, a PATCH)
RESOURCES = {
    "incident": ("/api/v1/incidents/", "partner", "partner", incident_body, {"summary": "Two streets shelled."}),
    "order": ("/api/v1/orders/", "coordinator", "coordinator", order_body, {"summary": "Extended to the hromada."}),
    "population-count": (
        "/api/v1/population-counts/", "coordinator", "coordinator", count_body, {"total": 2600},
    ),
    "source": ("/api/v1/sources/", "partner", "coordinator", None, {"title": "The hromada's statement, corrected"}),
}  # fmt: skip


@pytest.fixture
def new_object(request, stack, partner, coordinator):
    """new_object(resource, index) → (URL, ETag, full body) of an object just created over HTTP."""
    callers = {"partner": partner, "coordinator": coordinator}

    def make(resource: str, index: int):
        path, creator, _editor, body_of, _patch = RESOURCES[resource]
        body = source_body() if body_of is None else body_of(settlement(partner, "writes", index))
        url, etag = created(callers[creator], path, body)
        return url, etag, body

    return make


@pytest.mark.parametrize("method", ["PUT", "PATCH"])
@pytest.mark.parametrize("resource", list(RESOURCES))
def test_update_needs_the_current_etag(new_object, partner, coordinator, resource, method):
    index = list(RESOURCES).index(resource) * 2 + (method == "PATCH")
    url, etag, body = new_object(resource, index)
    editor = {"partner": partner, "coordinator": coordinator}[RESOURCES[resource][2]]
    change = RESOURCES[resource][4]
    new_body = {**body, **change} if method == "PUT" else change

    missing = editor.request(method, url, json_body=new_body)
    assert assert_error(missing, 428)["code"] == "precondition_required"
    stale = editor.request(method, url, json_body=new_body, headers={"If-Match": STALE})
    assert assert_error(stale, 412)["code"] == "precondition_failed"

    fresh = editor.request(method, url, json_body=new_body, headers={"If-Match": etag})
    assert fresh.status_code == 200, describe(fresh)
    new_etag = fresh.headers.get("ETag")
    assert new_etag and new_etag != etag, describe(fresh)
    (field, value), *_ = change.items()
    assert fresh.json()[field] == value
    # What the answer said was saved is what a later read sees, under the ETag it gave.
    again = editor.get(url)
    assert again.json()[field] == value and again.headers["ETag"] == new_etag
    # A retry of the same write with the ETag it started from is stale now.
    assert_error(editor.request(method, url, json_body=new_body, headers={"If-Match": etag}), 412)


@pytest.mark.parametrize("resource", list(RESOURCES))
def test_if_match_star_updates_whatever_the_version(new_object, partner, coordinator, resource):
    url, etag, _body = new_object(resource, 10 + list(RESOURCES).index(resource))
    editor = {"partner": partner, "coordinator": coordinator}[RESOURCES[resource][2]]
    response = editor.patch(url, RESOURCES[resource][4], headers={"If-Match": "*"})
    assert response.status_code == 200, describe(response)
    assert response.headers.get("ETag") not in (None, etag)


def test_delete_honours_if_match_and_leaves_a_tombstone(partner):
    url, etag = created(partner, "/api/v1/incidents/", incident_body(settlement(partner, "writes", 20)))
    assert_error(partner.delete(url, headers={"If-Match": STALE}), 412)
    response = partner.delete(url, headers={"If-Match": etag})
    assert response.status_code == 204, describe(response)
    assert_error(partner.get(url), 404)
    uid = url.rstrip("/").rsplit("/", 1)[-1]
    assert uid in {row["uid"] for row in partner.all_pages("/api/v1/deletions/", params={"resource": "incident"})}


def test_bulk_creates_every_row_each_with_its_etag(partner):
    rows = [incident_body(settlement(partner, "writes", 21), summary=f"Row {n}.") for n in range(3)]
    response = partner.post("/api/v1/incidents/bulk/", rows)
    assert response.status_code == 201, describe(response)
    created_rows = response.json()
    assert [row["summary"] for row in created_rows] == ["Row 0.", "Row 1.", "Row 2."]
    for row in created_rows:
        assert etag_of(partner, f"/api/v1/incidents/{row['uid']}/")


@pytest.mark.parametrize(("action", "state"), [("verify", "verified"), ("dispute", "disputed"), ("reject", "rejected")])
def test_reviews_change_the_state_and_the_etag(partner, coordinator, action, state):
    index = {"verify": 22, "dispute": 23, "reject": 24}[action]
    url, etag = created(partner, "/api/v1/incidents/", incident_body(settlement(partner, "writes", index)))
    assert_error(partner.post(f"{url}{action}/", {"note": "checked"}), 403)
    response = coordinator.post(f"{url}{action}/", {"note": "Checked against the oblast's statement."})
    assert response.status_code == 200, describe(response)
    assert response.json()["verification_state"] == state
    assert response.headers.get("ETag") not in (None, etag)
    # The partner's old ETag no longer matches anything.
    assert_error(coordinator.patch(url, {"summary": "late edit"}, headers={"If-Match": etag}), 412)


def test_lift_ends_the_order_and_changes_its_etag(coordinator, partner):
    url, etag = created(coordinator, "/api/v1/orders/", order_body(settlement(partner, "writes", 25)))
    assert_error(partner.post(f"{url}lift/", {"lifted_on": "2023-09-01"}), 403)
    response = coordinator.post(f"{url}lift/", {"lifted_on": "2023-09-01"})
    assert response.status_code == 200, describe(response)
    assert response.json()["state"] == "lifted" and response.json()["lifted_on"] == "2023-09-01"
    assert response.headers.get("ETag") not in (None, etag)
