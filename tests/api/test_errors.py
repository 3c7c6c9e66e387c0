"""Bad input gets a 400 naming the field, in the one error shape; never a 500."""

import datetime

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def assert_error(response, status, field=None):
    assert response.status_code == status, response.content
    body = response.json()
    assert body["status"] == status and isinstance(body["detail"], str) and isinstance(body["fields"], dict)
    if field:
        assert field in body["fields"], body


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"summary": "Nul\x00byte"}, "summary"),
        ({"fatalities": "two"}, "fatalities"),
        ({"fatalities": 2**40}, "fatalities"),
        ({"occurred_on": "10/08/2023"}, "occurred_on"),
        ({"area": "UA00000000000000000"}, "area"),
        ({"area": 12}, "area"),
        ({"area": "UA\x00"}, "area"),
        ({"citations": []}, "citations"),
        ({"citations": [{"source": "no-such-source"}]}, "citations.0.source"),
        ({"incident_type": "alien_invasion"}, "incident_type"),
        ({"children_killed": 5, "children_killed_qualifier": "exact"}, "children_killed"),
        ({"occurred_on": (datetime.date.today() + datetime.timedelta(days=3)).isoformat()}, "occurred_on"),
        ({"fatalities": 2, "fatalities_qualifier": ""}, "fatalities_qualifier"),
        ({"latitude": 91, "longitude": 10}, "latitude"),
    ],
)
def test_bad_incident_fields(partner, incident_body, overrides, field):
    assert_error(partner.post(reverse("api:incident-list"), incident_body(**overrides), format="json"), 400, field)


def test_malformed_json(partner):
    response = partner.post(reverse("api:incident-list"), b"{not json", content_type="application/json")
    assert_error(response, 400)


def test_wrong_content_type_is_415(partner, incident_body):
    response = partner.post(reverse("api:incident-list"), "a=b", content_type="application/x-www-form-urlencoded")
    assert_error(response, 415)


def test_oversized_body_is_413(partner, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = partner.post(reverse("api:incident-list"), {"summary": "x" * 2000}, format="json")
    assert_error(response, 413)


@pytest.mark.parametrize(
    "query",
    [
        "within=UA00000000000000000",
        "within=%00",
        "min_killed=abc",
        "min_killed=99999999999999",
        "occurred_after=yesterday",
        "type=alien",
        "updated_since=not-a-time",
        "reporting_organization_id=-1",
        "cursor=garbage",
        "ordering=summary",
    ],
)
def test_bad_filters(partner, query):
    response = partner.get(reverse("api:incident-list") + "?" + query)
    if query == "ordering=summary":
        # An ordering outside the allowlist is ignored, as DRF does, not an error.
        assert response.status_code == 200
        return
    assert response.status_code in (400, 404), response.content
    assert response.json()["status"] == response.status_code


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("type=alien", "type"),
        ("within=UA63&type=alien", "type"),
        ("type=shelling&min_killed=abc", "min_killed"),
        ("occurred_after=2023-01-01&occurred_before=yesterday&verification_state=verified", "occurred_before"),
    ],
)
def test_bad_filter_is_named_among_good_ones(partner, query, field):
    """Only the filters a request names are built: a bad one is still named, next to good ones."""
    assert_error(partner.get(reverse("api:incident-list") + "?" + query), 400, field)


@pytest.mark.parametrize("query", ["near=1,2", "near=91,0,5", "near=49,37,0", "parent=XX", "level=planet", "q=%00"])
def test_bad_area_filters(viewer, query):
    assert_error(viewer.get(reverse("api:area-list") + "?" + query), 400)


def test_unknown_endpoint_is_json_404(viewer):
    assert_error(viewer.get("/api/v1/nothing-here/"), 404)


def test_unknown_object_is_404(viewer):
    assert_error(
        viewer.get(reverse("api:incident-detail", kwargs={"uid": "00000000-0000-0000-0000-000000000000"})), 404
    )
    assert_error(viewer.get(reverse("api:area-detail", kwargs={"code": "UA1"})), 404)


def test_reject_needs_a_note(coordinator, incident_body):
    created = coordinator.post(reverse("api:incident-list"), incident_body(), format="json").json()
    response = coordinator.post(reverse("api:incident-reject", kwargs={"uid": created["uid"]}), {}, format="json")
    assert_error(response, 400, "verification_note")


def test_lifting_twice_is_400(coordinator, area):
    from tests.factories import OrderFactory

    order = OrderFactory(area=area)
    url = reverse("api:order-lift", kwargs={"uid": order.uid})
    assert coordinator.post(url, {}, format="json").status_code == 200
    assert_error(coordinator.post(url, {}, format="json"), 400, "state")
