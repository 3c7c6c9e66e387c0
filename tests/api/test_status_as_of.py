"""A status for a past date says only what was known on that date."""

import datetime

import pytest
from django.urls import reverse

from tests.factories import AreaFactory, DesignationFactory, OrderFactory

pytestmark = pytest.mark.django_db


def test_a_past_as_of_names_no_end_start_or_fact_dated_after_it(viewer):
    area = AreaFactory()
    DesignationFactory(area=area, valid_from=datetime.date(2022, 2, 24), valid_until=datetime.date(2022, 9, 10),
                       valid_until_precision="day")  # fmt: skip
    OrderFactory(area=area, kind="recommended", effective_from=datetime.date(2022, 9, 18))
    url = reverse("api:area-status", kwargs={"code": area.code})

    body = viewer.get(url + "?as_of=2022-06-01").json()
    assert body["level"] == "no_access"
    assert body["sentence"] == "No access: temporarily occupied since 2022-02-24"
    assert "2022-09-10" not in str(body) and "2022-09-18" not in str(body)

    # Later, the end is known, and named by what came after it.
    after = viewer.get(url + "?as_of=2022-09-20").json()
    assert "occupied" not in after["sentence"] and "active since 2022-09-18" in after["sentence"]
