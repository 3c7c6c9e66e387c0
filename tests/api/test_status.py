"""Area status over the API: filters on the current status, an area's status, history, as_of
and a subtree summary, read from the status engine's own selectors."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from evactrack.status.services import status_recompute_full
from reports.services import order_lift
from tests.factories import AreaFactory, IncidentFactory, OrderFactory, PopulationCountFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def ordered(area):
    quiet = AreaFactory(code="UA98010010020000002")
    PopulationCountFactory(area=area, kind="present", total=900, total_qualifier="exact", children=8,
                           children_qualifier="exact", reference_date=datetime.date(2023, 8, 1))  # fmt: skip
    order = OrderFactory(area=area, effective_from=datetime.date(2023, 8, 10))
    IncidentFactory(area=area, occurred_on=datetime.date(2023, 8, 9))
    status_recompute_full()
    return area, quiet, order


def codes(response):
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def test_status_filters(viewer, ordered):
    area, quiet, _order = ordered
    url = reverse("api:area-list") + "?level=settlement&"
    assert codes(viewer.get(url + "status=evacuation_mandatory")) == [area.code]
    assert codes(viewer.get(url + "status=normal")) == [quiet.code]
    assert codes(viewer.get(url + "status_min=advisory")) == [area.code]
    rows = viewer.get(url).json()["results"]
    assert {row["code"]: row["status"] for row in rows} == {area.code: "evacuation_mandatory", quiet.code: "normal"}


def test_areas_whose_status_changed_since(viewer, ordered):
    area, quiet, order = ordered
    url = reverse("api:area-list")
    before = timezone.now()
    assert codes(viewer.get(url, {"status_changed_since": before.isoformat()})) == []
    order_lift(order=order, lifted_on=datetime.date(2023, 8, 20))
    status_recompute_full()
    changed = codes(viewer.get(url, {"status_changed_since": before.isoformat()}))
    assert area.code in changed and quiet.code not in changed
    assert viewer.get(url, {"status_changed_since": "yesterday"}).status_code == 400


def test_area_status_history_and_as_of(viewer, coordinator, ordered):
    area, _quiet, _order = ordered
    now = viewer.get(reverse("api:area-status", kwargs={"code": area.code})).json()
    assert now["level"] == "evacuation_mandatory" and now["computed"] is False and now["sentence"]
    past = viewer.get(reverse("api:area-status", kwargs={"code": area.code}) + "?as_of=2023-08-01").json()
    assert past["level"] != "evacuation_mandatory" and past["computed"] is True
    history = viewer.get(reverse("api:area-history", kwargs={"code": area.code}))
    assert history.status_code == 200 and history.json()["results"][-1]["level"] == "evacuation_mandatory"
    bad = viewer.get(reverse("api:area-status", kwargs={"code": area.code}) + "?as_of=someday")
    assert bad.status_code == 400 and "as_of" in bad.json()["fields"]


def test_incident_uids_in_reasons_only_for_coordinators(viewer, coordinator, ordered):
    _area, area, _order = ordered
    IncidentFactory(area=area, occurred_on=timezone.localdate())
    status_recompute_full()

    def incident_reasons(client):
        body = client.get(reverse("api:area-status", kwargs={"code": area.code})).json()
        return [r for r in body["reasons"] if r.get("kind") == "incidents"]

    assert all("uids" not in reason for reason in incident_reasons(viewer))
    assert any("uids" in reason for reason in incident_reasons(coordinator))


def test_subtree_summary(viewer, coordinator, ordered):
    area, _quiet, _order = ordered
    hromada = area.parent
    summary = viewer.get(reverse("api:area-summary", kwargs={"code": hromada.code})).json()
    assert summary["areas"]["settlement"]["evacuation_mandatory"] == 1
    assert summary["areas"]["settlement"]["normal"] == 1
    assert summary["people"]["evacuation_mandatory"]["people_present"] == 900
    # 8 children is a small count: only coordinators see it.
    assert summary["people"]["evacuation_mandatory"]["children_present"] is None
    full = coordinator.get(reverse("api:area-summary", kwargs={"code": hromada.code})).json()
    assert full["people"]["evacuation_mandatory"]["children_present"] == 8


def test_history_runs_the_same_queries_for_1_and_50_changes(viewer, area):
    """The timeline is read in a constant number of queries, however long it is."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from evactrack.status.models import StatusChange

    url = reverse("api:area-history", kwargs={"code": area.code})
    viewer.get(url)  # the token's first use writes last_used_at once

    def add_changes(count, start):
        # The engine's output, written directly: this test is about reading it back.
        StatusChange.objects.bulk_create(
            StatusChange(area=area, as_of=datetime.date(2023, 1, 1) + datetime.timedelta(days=start + day),
                         level="advisory", reasons=[])
            for day in range(count)
        )  # fmt: skip

    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = viewer.get(url)
        assert response.status_code == 200, response.content
        return [query["sql"] for query in captured.captured_queries], len(response.json()["results"])

    add_changes(1, 0)
    one, one_rows = queries()
    add_changes(49, 1)
    fifty, fifty_rows = queries()
    assert (one_rows, fifty_rows) == (1, 50)
    assert len(one) == len(fifty), "\n".join(["--- 1 change:", *one, "--- 50 changes:", *fifty])


def test_a_parent_status_leads_with_how_its_settlements_spread(viewer, ordered):
    area, _quiet, _order = ordered
    status = viewer.get(reverse("api:area-status", args=["UA98010010000000003"])).json()  # the hromada
    spread = status["distribution"]
    assert spread["evacuation_mandatory"] == {"settlements": 1, "people": 900, "people_missing": 0}
    # The quiet village has no count: unknown, not 0.
    assert spread["normal"] == {"settlements": 1, "people": None, "people_missing": 1}
    assert spread["no_access"] == {"settlements": 0, "people": 0, "people_missing": 0}
    assert status["sentence"].startswith("Mandatory evacuation in 1 of 2 settlements (900 people); the rest normal.")
    assert "Most severe: Mandatory evacuation" in status["sentence"]
    # A settlement's status is its own: no spread.
    assert viewer.get(reverse("api:area-status", args=[area.code])).json()["distribution"] is None


def test_a_past_spread_is_judged_like_the_past_status(viewer, ordered):
    before_the_order = viewer.get(reverse("api:area-status", args=["UA"]), {"as_of": "2023-08-01"}).json()
    assert before_the_order["computed"] is True
    assert before_the_order["distribution"]["evacuation_mandatory"]["settlements"] == 0
    during = viewer.get(reverse("api:area-status", args=["UA"]), {"as_of": "2023-08-15"}).json()
    assert during["distribution"]["evacuation_mandatory"]["settlements"] == 1
    assert during["distribution"] == viewer.get(reverse("api:area-status", args=["UA"])).json()["distribution"]
