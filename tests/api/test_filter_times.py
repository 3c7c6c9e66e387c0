"""Time filters take any offset ISO 8601 allows and compare in UTC, on both databases."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

TIME_FILTERS = [
    ("api:incident-list", "updated_since"),
    ("api:incident-export", "updated_since"),
    ("api:area-list", "updated_since"),
    ("api:area-export", "updated_since"),
    ("api:deletion-list", "since"),
]


@pytest.mark.parametrize(("route", "name"), TIME_FILTERS)
def test_an_offset_postgresql_cannot_hold_is_compared_in_utc(coordinator, area, route, name):
    # +16:00 is valid ISO 8601 and Python, but beyond PostgreSQL's ±15:59.
    response = coordinator.get(reverse(route), {name: "2000-01-01T00:00:00+16:00"})
    assert response.status_code == 200
    if response.streaming:  # the export's rows are read while it streams
        b"".join(response.streaming_content)


@pytest.mark.parametrize(("route", "name"), TIME_FILTERS)
def test_a_time_outside_the_calendar_in_utc_is_400(coordinator, route, name):
    response = coordinator.get(reverse(route), {name: "0001-01-01T00:00:00+10:00"})
    assert response.status_code == 400
    assert name in response.json()["fields"]


def test_the_offset_moves_the_cut(coordinator, incident_body):
    coordinator.post(reverse("api:incident-list"), incident_body(), format="json")
    updated_at = coordinator.get(reverse("api:incident-list")).json()["results"][0]["updated_at"]
    assert updated_at.endswith("Z")
    listed = coordinator.get(reverse("api:incident-list"), {"updated_since": "1999-12-31T23:00:00-14:00"}).json()
    assert len(listed["results"]) == 1
    later = coordinator.get(reverse("api:incident-list"), {"updated_since": "2999-01-01T00:00:00+14:00"}).json()
    assert later["results"] == []
