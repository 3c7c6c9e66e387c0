"""Who must leave, over the API: every rendering of a status gives the level for everyone and the
levels of the groups an order names beside the worst level."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from evactrack.status.services import status_recompute_full
from tests.api.test_schema import raw_schema
from tests.factories import OrderFactory

pytestmark = pytest.mark.django_db

CHILDREN_ONLY = {"children_with_guardians": "evacuation_mandatory"}


@pytest.fixture
def children_ordered(area):
    OrderFactory(area=area, effective_from=datetime.date(2023, 8, 10), population_group="children_with_guardians")
    status_recompute_full()
    return area


def test_the_status_names_who_must_leave(viewer, children_ordered):
    body = viewer.get(reverse("api:area-status", kwargs={"code": children_ordered.code})).json()
    assert body["level"] == "evacuation_mandatory"
    assert body["level_for_everyone"] == "normal"
    assert body["group_levels"] == CHILDREN_ONLY
    assert body["sentence"].startswith(
        "Mandatory evacuation of children with their parents or guardians; normal for everyone else: "
    )


def test_a_past_date_computed_on_the_fly_names_them_too(viewer, children_ordered):
    as_of = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    url = reverse("api:area-status", kwargs={"code": children_ordered.code}) + f"?as_of={as_of}"
    body = viewer.get(url).json()
    assert body["computed"] is True
    assert (body["level"], body["level_for_everyone"], body["group_levels"]) == (
        "evacuation_mandatory",
        "normal",
        CHILDREN_ONLY,
    )


def test_the_history_names_them(viewer, children_ordered):
    rows = viewer.get(reverse("api:area-history", kwargs={"code": children_ordered.code})).json()["results"]
    assert [(row["level"], row["level_for_everyone"], row["group_levels"]) for row in rows] == [
        ("evacuation_mandatory", "normal", CHILDREN_ONLY)
    ]


def test_the_area_list_and_detail_name_them(viewer, children_ordered, area):
    rows = viewer.get(reverse("api:area-list") + "?level=settlement").json()["results"]
    assert [(row["status"], row["status_for_everyone"], row["status_group_levels"]) for row in rows] == [
        ("evacuation_mandatory", "normal", CHILDREN_ONLY)
    ]
    detail = viewer.get(reverse("api:area-detail", kwargs={"code": area.code})).json()
    assert (detail["status"], detail["status_for_everyone"], detail["status_group_levels"]) == (
        "evacuation_mandatory",
        "normal",
        CHILDREN_ONLY,
    )


def test_an_area_never_computed_is_normal_for_everyone(viewer, area):
    body = viewer.get(reverse("api:area-status", kwargs={"code": area.code})).json()
    assert (body["level"], body["level_for_everyone"], body["group_levels"]) == ("normal", "normal", {})
    detail = viewer.get(reverse("api:area-detail", kwargs={"code": area.code})).json()
    assert (detail["status_for_everyone"], detail["status_group_levels"]) == ("normal", {})


def test_the_schema_documents_them():
    schemas = raw_schema()["components"]["schemas"]
    for name in ("AreaStatus", "StatusChange"):
        assert {"level", "level_for_everyone", "group_levels"} <= set(schemas[name]["properties"]), name
        assert schemas[name]["properties"]["group_levels"]["type"] == "object"
    assert {"status_for_everyone", "status_group_levels"} <= set(schemas["Area"]["properties"])
