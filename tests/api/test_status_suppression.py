"""Complementary suppression: a small child count withheld from a partner cannot be recovered by
subtracting the visible figures from a sum that contains it."""

import datetime

import pytest
from django.urls import reverse

from evactrack.status.services import status_recompute_full
from tests.factories import AreaFactory, OrderFactory, PopulationCountFactory, default_hromada

pytestmark = pytest.mark.django_db


def _children(area, children):
    PopulationCountFactory(area=area, kind="present", total=children * 10, children=children,
                           children_qualifier="exact", reference_date=datetime.date(2023, 8, 1))  # fmt: skip


@pytest.fixture
def villages():
    """A hromada with two villages at the same level, one with a small count, and one under an order."""
    hromada = default_hromada()
    large, small, ordered = (AreaFactory(parent=hromada) for _n in range(3))
    _children(large, 30)
    _children(small, 15)
    _children(ordered, 40)
    OrderFactory(area=ordered, scope="single", effective_from=datetime.date(2023, 8, 10))
    status_recompute_full()
    return hromada, large, small, ordered


def _status(client, area):
    response = client.get(reverse("api:area-status", kwargs={"code": area.code}))
    assert response.status_code == 200, response.content
    return response.json()


def test_every_sum_above_a_withheld_count_is_withheld(partner, coordinator, villages):
    hromada, large, small, _ordered = villages
    assert _status(partner, small)["figures"]["children_present"] is None
    assert _status(partner, large)["figures"]["children_present"] == 30
    ancestors = [hromada, hromada.parent, hromada.parent.parent, hromada.parent.parent.parent]
    for area in ancestors:
        body = _status(partner, area)
        assert body["figures"]["children_present"] is None, area.code
        assert "children_present" in body["withheld"]
        # Nothing small was ever subject to an order: that sum stays visible.
        assert body["figures"]["children_subject"] == 40
    assert [_status(coordinator, area)["figures"]["children_present"] for area in ancestors] == [85] * 4


def test_the_summary_withholds_each_level_whose_sum_holds_a_withheld_count(partner, coordinator, villages):
    hromada, *_villages = villages
    url = reverse("api:area-summary", kwargs={"code": hromada.code})
    people = partner.get(url).json()["people"]
    # 30 + 15 at "normal": with the 30 visible on its own, a sum of 45 would give the 15 away.
    assert people["normal"] == {"people_present": 450, "children_present": None}
    assert people["evacuation_mandatory"] == {"people_present": 400, "children_present": 40}
    assert coordinator.get(url).json()["people"]["normal"]["children_present"] == 45


def test_a_zero_where_no_order_applies_is_no_count_of_children(partner, villages):
    _hromada, large, _small, _ordered = villages
    body = _status(partner, large)
    assert body["figures"]["children_subject"] == 0 and body["withheld"] == []
