"""An area's status timeline over the API: paged with a cursor, oldest first, since/until kept."""

import datetime

import pytest
from django.urls import reverse

from evactrack.status.models import StatusChange

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def timeline(area):
    # The engine's output, written directly and out of date order (a rebuild appends older dates later).
    first = datetime.date(2023, 1, 1)
    days = [first + DAY * n for n in (4, 0, 2, 1, 3)]
    StatusChange.objects.bulk_create(StatusChange(area=area, as_of=day, level="advisory", reasons=[]) for day in days)
    return area, sorted(day.isoformat() for day in days)


def test_history_is_paged_oldest_first(viewer, timeline):
    area, days = timeline
    url = reverse("api:area-history", kwargs={"code": area.code}) + "?limit=2"
    seen, pages = [], 0
    while url:
        response = viewer.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        assert len(body["results"]) <= 2
        seen += [change["as_of"] for change in body["results"]]
        url, pages = body["next"], pages + 1
    assert (seen, pages) == (days, 3)


def test_since_and_until_choose_the_dates(viewer, timeline):
    area, days = timeline
    url = reverse("api:area-history", kwargs={"code": area.code}) + f"?since={days[1]}&until={days[3]}"
    assert [change["as_of"] for change in viewer.get(url).json()["results"]] == days[1:4]
