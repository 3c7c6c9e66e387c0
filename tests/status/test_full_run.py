"""The full recompute judges only what changed, and ends exactly where judging every area ends.

Each step moves the calendar or changes an input (through the services, or past them with a
plain UPDATE/DELETE that leaves no dirty mark); the full run is then checked against one that
judges every area: the second must find nothing to write.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evactrack.status.models import AreaStatus, InputDigest, Policy, RecomputeRun
from evactrack.status.services import (
    area_status_delete_all,
    policy_save,
    status_recompute_dirty,
    status_recompute_full,
)
from locations.models import Area
from reports.models import ControlDesignation, EvacuationOrder, Incident, OrderTarget, PopulationCount
from tests.factories import (
    AreaFactory,
    DesignationFactory,
    IncidentFactory,
    OrderFactory,
    PopulationCountFactory,
    default_hromada,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


def full_run_matches_every_area(as_of):
    """Run the full recompute, then one judging every area: it must have nothing left to write."""
    report = status_recompute_full(as_of=as_of)
    check = status_recompute_full(as_of=as_of, every_area=True)
    assert (check.rows_written, check.changes_appended) == (0, 0), f"the full run at {as_of} missed a change"
    return report


@pytest.fixture
def villages():
    """Five villages of one hromada, each with something that moves with the calendar."""
    start = TODAY - 20 * DAY
    a, b, c, d, e = (AreaFactory() for _ in range(5))
    for n in range(6):  # a: enough missile strikes for "recommended", then a hold, then nothing
        IncidentFactory(
            area=a,
            occurred_on=start + 5 * DAY,
            incident_type="missile_strike",
            fatalities=n,
            fatalities_qualifier="exact",
        )
    IncidentFactory(area=b, occurred_on=start + 10 * DAY)  # b: one shelling, leaves the window later
    OrderFactory(area=c, effective_from=start, effective_until=start + 25 * DAY)  # c: an order that runs out
    DesignationFactory(
        area=d, kind="active_hostilities", valid_from=start, valid_until=start + 16 * DAY, valid_until_precision="day"
    )
    PopulationCountFactory(area=e, total=500, children=40, children_qualifier="exact")
    OrderFactory(area=default_hromada(), effective_from=start + 30 * DAY)  # a subtree order, not yet in force
    status_recompute_full(as_of=start, every_area=True)
    return start, [a, b, c, d, e]


def test_day_by_day_the_full_run_judges_only_what_changed_and_misses_nothing(villages):
    start, _villages = villages
    judged = []
    for offset in range(1, 46):
        judged.append(full_run_matches_every_area(start + offset * DAY).areas_computed)
    assert 0 in judged  # quiet days judge nothing
    # Only the day the hromada's order comes into force reaches every area of this small tree.
    everything = Area.objects.count()
    assert [offset for offset, count in enumerate(judged, start=1) if count == everything] == [30]


def test_changes_written_past_the_services_are_caught(villages):
    start, (a, b, c, d, e) = villages
    as_of = start + 12 * DAY
    full_run_matches_every_area(as_of)
    assert status_recompute_full(as_of=as_of).areas_computed == 0

    # A plain UPDATE: no dirty mark, no message.
    Incident.objects.filter(area=b).update(verification_state="rejected", verified_at=timezone.now())
    report = full_run_matches_every_area(as_of)
    assert 0 < report.areas_computed < Area.objects.count()
    assert not AreaStatus.objects.filter(area=b, reasons__0__kind="incidents").exists()

    Incident.objects.filter(area=a).delete()
    full_run_matches_every_area(as_of)
    PopulationCount.objects.filter(area=e).update(total=450)
    full_run_matches_every_area(as_of)
    assert AreaStatus.objects.get(area=e).people_present == 450
    ControlDesignation.objects.filter(area=d).update(kind="occupied")
    full_run_matches_every_area(as_of)
    assert AreaStatus.objects.get(area=d).level == "no_access"
    EvacuationOrder.objects.filter(targets__area=c).update(kind="recommended")
    full_run_matches_every_area(as_of)
    assert AreaStatus.objects.get(area=c).level == "evacuation_recommended"


def test_a_subtree_fact_changed_past_the_services_reaches_every_village_below(villages):
    start, village_list = villages
    as_of = start + 31 * DAY  # the hromada's order is in force
    full_run_matches_every_area(as_of)
    assert all(AreaStatus.objects.get(area=v).level == "evacuation_mandatory" for v in village_list)
    OrderTarget.objects.filter(area=default_hromada()).update(scope="single")
    full_run_matches_every_area(as_of)
    assert AreaStatus.objects.get(area=village_list[4]).level == "normal"


def test_after_a_dirty_run_the_full_run_finds_nothing_left_to_judge(villages):
    _start, (a, *_rest) = villages
    full_run_matches_every_area(TODAY)
    IncidentFactory(area=a, occurred_on=TODAY)  # through the service: marked dirty
    assert status_recompute_dirty(as_of=TODAY).areas_computed == 5  # the village and its ancestors
    assert full_run_matches_every_area(TODAY).areas_computed == 0


def test_a_quiet_full_run_reads_inputs_in_a_fixed_number_of_queries(villages):
    start, _villages = villages
    full_run_matches_every_area(start + 3 * DAY)
    with CaptureQueriesContext(connection) as few:
        assert status_recompute_full(as_of=start + 3 * DAY).areas_computed == 0
    for _n in range(30):
        IncidentFactory(area=AreaFactory(), occurred_on=start)
    status_recompute_full(as_of=start + 3 * DAY, every_area=True)  # a new tree: every area once
    with CaptureQueriesContext(connection) as many:
        assert status_recompute_full(as_of=start + 3 * DAY).areas_computed == 0
    assert len(few.captured_queries) == len(many.captured_queries)
    assert InputDigest.objects.count() >= 30


def test_a_new_policy_a_new_area_or_an_earlier_date_judge_every_area(villages):
    start, _villages = villages
    as_of = start + 3 * DAY
    full_run_matches_every_area(as_of)
    total = Area.objects.count()

    policy = Policy.objects.get(is_active=True)
    policy.incident_window_days = 10
    policy_save(policy=policy)
    assert status_recompute_full(as_of=as_of).areas_computed == total
    AreaFactory()
    assert status_recompute_full(as_of=as_of).areas_computed == total + 1
    assert status_recompute_full(as_of=as_of - DAY).areas_computed == total + 1
    area_status_delete_all()
    assert status_recompute_full(as_of=as_of).areas_computed == total + 1
    assert RecomputeRun.objects.filter(kind="full", every_area=False).exists()
