"""The admin and the dashboard say who must leave, in words of the staff member's language."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from evactrack.status.services import status_recompute_full
from tests.factories import AreaFactory, OrderFactory

pytestmark = pytest.mark.django_db

CHILDREN_MANDATORY = "children with their parents or guardians: evacuation mandatory; everyone: normal"


@pytest.fixture
def children_ordered(db):
    area = AreaFactory(name_en="Kupiansk", latitude=49.71, longitude=37.61)
    OrderFactory(
        area=area,
        effective_from=timezone.localdate() - datetime.timedelta(days=2),
        population_group="children_with_guardians",
    )
    status_recompute_full()
    return area


def test_the_status_list_shows_the_level_for_everyone_and_the_groups(admin_client_logged_in, children_ordered):
    page = admin_client_logged_in.get(reverse("admin:status_areastatus_changelist")).content.decode()
    assert CHILDREN_MANDATORY in page
    history = admin_client_logged_in.get(reverse("admin:status_statuschange_changelist")).content.decode()
    assert CHILDREN_MANDATORY in history


def test_the_area_page_and_its_timeline_say_who_must_leave(admin_client_logged_in, children_ordered):
    page = admin_client_logged_in.get(reverse("admin:locations_area_change", args=[children_ordered.pk]))
    text = page.content.decode()
    assert 'id="who-must-leave"' in text
    assert text.count(CHILDREN_MANDATORY) == 2  # the current status and its timeline
    assert "Mandatory evacuation of children with their parents or guardians; normal for everyone else" in text


def test_the_map_marks_a_group_order_apart(admin_client_logged_in, children_ordered):
    response = admin_client_logged_in.get(reverse("admin:evactrack_dashboard"))
    (point,) = response.context["map_points"]
    assert point["who"] == CHILDREN_MANDATORY
    assert point["colour"] != point["fill"]  # ringed mandatory, filled normal
    assert CHILDREN_MANDATORY in response.content.decode()  # the latest changes


def test_the_words_are_translated(admin_client_logged_in, children_ordered, ukrainian_catalog):
    page = admin_client_logged_in.get(
        reverse("admin:status_areastatus_changelist"), headers={"accept-language": "uk"}
    ).content.decode()
    translation.activate("en")
    assert "діти з батьками або опікунами: евакуація обов&#x27;язкова; усі: звичайний" in page
    assert "хто має виїхати" in page.lower()
