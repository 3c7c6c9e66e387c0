"""The set-based recompute against the real database: query counts, writes only on change,
history only on change, past dates, roll-up figures, the dirty queue and the lock."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from evactrack.status.choices import StatusLevel
from evactrack.status.locks import RECOMPUTE_LOCK
from evactrack.status.models import AreaStatus, Policy, RecomputeLock, RecomputeRun, StatusChange
from evactrack.status.selectors import status_for_area, status_history, status_summary
from evactrack.status.services import status_history_rebuild, status_recompute_dirty, status_recompute_full
from locations.models import Area
from reports.models import DirtyArea
from reports.services import incident_review, order_lift
from tests.factories import (
    AreaFactory,
    DesignationFactory,
    IncidentFactory,
    OrderFactory,
    PopulationCountFactory,
    SourceFactory,
    default_hromada,
)

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
RECENT = TODAY - datetime.timedelta(days=2)


def _queries_of(call):
    with CaptureQueriesContext(connection) as context:
        call()
    return [query["sql"] for query in context.captured_queries]


def _settlements_with_inputs(count):
    areas, source = [], SourceFactory()
    for _n in range(count):
        area = AreaFactory()
        IncidentFactory(area=area, occurred_on=RECENT, source=source)
        PopulationCountFactory(area=area, total=100, children=10, children_qualifier="exact", source=source)
        areas.append(area)
    OrderFactory(area=default_hromada(), effective_from=RECENT)
    DesignationFactory(area=areas[0], kind="active_hostilities", valid_from=RECENT)
    return areas


@pytest.mark.parametrize("recompute", [status_recompute_full, status_recompute_dirty])
def test_query_count_does_not_grow_with_the_areas(recompute):
    _settlements_with_inputs(1)
    few = _queries_of(recompute)
    AreaStatus.objects.all().delete()
    StatusChange.objects.all().delete()
    _settlements_with_inputs(49)
    DirtyArea.objects.bulk_create([DirtyArea(area=area) for area in Area.objects.all()], ignore_conflicts=True)
    many = _queries_of(recompute)
    assert AreaStatus.objects.count() == 50 + 4  # settlements plus hromada, raion, oblast, country
    assert len(few) == len(many), "\n".join(["-- 1 area:", *few, "-- 50 areas:", *many])


def test_a_second_run_with_nothing_changed_writes_nothing():
    _settlements_with_inputs(3)
    first = status_recompute_full()
    assert first.rows_written == 7
    second = status_recompute_full()
    assert (second.rows_written, second.changes_appended) == (0, 0)
    queries = _queries_of(status_recompute_full)
    writes = [q for q in queries if q.lstrip().upper().startswith(("INSERT", "UPDATE")) and "status_areastatus" in q]
    assert writes == []


def test_history_grows_only_when_level_or_reasons_change():
    area = AreaFactory()
    status_recompute_full()
    assert not StatusChange.objects.filter(area=area).exists()  # nothing ever applied
    incident = IncidentFactory(area=area, occurred_on=RECENT)
    status_recompute_dirty()
    assert list(status_history(area=area).values_list("previous_level", "level")) == [("normal", "advisory")]
    status_recompute_full()
    status_recompute_dirty()
    assert status_history(area=area).count() == 1
    # Verifying the incident changes the reasons (1 verified instead of 1 reported), not the level.
    incident_review(incident=incident, state="verified", actor=None)
    status_recompute_dirty()
    changes = list(status_history(area=area))
    assert [change.level for change in changes] == ["advisory", "advisory"]
    assert "1 verified incident in 14 days" in changes[-1].sentence


def test_dirty_marks_are_consumed_and_ancestors_roll_up():
    area = AreaFactory()
    status_recompute_full()
    OrderFactory(area=area, effective_from=RECENT)
    assert DirtyArea.objects.filter(area=area).exists()
    report = status_recompute_dirty()
    assert report.areas_computed == 5  # the settlement and its four ancestors
    assert not DirtyArea.objects.exists()
    for code in [area.code, "UA98010010000000003", "UA98000000000000001", "UA"]:
        assert AreaStatus.objects.get(area__code=code).level == StatusLevel.EVACUATION_MANDATORY
    assert status_recompute_dirty().areas_computed == 0  # idempotent: nothing dirty, nothing done


def test_status_as_of_a_past_date_is_judged_from_dated_inputs():
    area = AreaFactory()
    DesignationFactory(area=area.parent, kind="occupied", valid_from=datetime.date(2022, 2, 24))
    order = OrderFactory(area=area, effective_from=datetime.date(2023, 8, 10))
    order_lift(order=order, lifted_on=datetime.date(2023, 10, 1))
    assert status_for_area(area=area, as_of=datetime.date(2022, 1, 1)).level == StatusLevel.NORMAL
    spring = status_for_area(area=area, as_of=datetime.date(2022, 4, 1))
    assert (spring.level, spring.computed) == (StatusLevel.NO_ACCESS, True)
    # The order lifted since still counts on a day it was in force.
    assert status_for_area(area=area, as_of=datetime.date(2023, 8, 20)).level == StatusLevel.NO_ACCESS
    hromada = Area.objects.get(code="UA98010010000000003")
    assert status_for_area(area=hromada, as_of=datetime.date(2022, 4, 1)).level == StatusLevel.NO_ACCESS


def test_roll_up_sums_known_people_and_counts_unknown_ones():
    counted, uncounted = AreaFactory(), AreaFactory()
    PopulationCountFactory(area=counted, total=300, children=None)
    OrderFactory(area=default_hromada(), effective_from=RECENT)
    status_recompute_full()
    hromada = AreaStatus.objects.get(area__code="UA98010010000000003")
    assert (hromada.people_present, hromada.people_present_missing) == (300, 1)
    assert (hromada.children_present, hromada.children_present_missing) == (None, 2)
    assert (hromada.people_subject, hromada.people_subject_missing) == (300, 1)
    assert AreaStatus.objects.get(area=uncounted).people_present is None
    summary = status_summary(area=Area.objects.get(code="UA"))
    assert summary["settlement"][StatusLevel.EVACUATION_MANDATORY] == 2


def test_rebuild_history_steps_through_input_dates():
    area = AreaFactory()
    DesignationFactory(
        area=area,
        kind="occupied",
        valid_from=datetime.date(2022, 2, 24),
        valid_until=datetime.date(2022, 9, 10),
        valid_until_precision="day",
    )
    OrderFactory(area=area, effective_from=datetime.date(2023, 8, 10))
    report = status_history_rebuild(since=datetime.date(2022, 2, 24))
    timeline = [(c.as_of, c.level) for c in status_history(area=area)]
    assert timeline == [
        (datetime.date(2022, 2, 24), StatusLevel.NO_ACCESS),
        (datetime.date(2022, 9, 11), StatusLevel.NORMAL),
        (datetime.date(2023, 8, 10), StatusLevel.EVACUATION_MANDATORY),
        # The open-ended order, never confirmed, is "to confirm" after the policy's 90 days: the
        # reasons say so on that day, the level stays.
        (datetime.date(2023, 11, 9), StatusLevel.EVACUATION_MANDATORY),
    ]
    assert StatusChange.objects.filter(area=area).order_by("as_of").last().reasons[0]["to_confirm"] is True
    assert AreaStatus.objects.get(area=area).level == StatusLevel.EVACUATION_MANDATORY
    # Rebuilding again gives the same timeline, and the live recompute adds nothing after it.
    status_history_rebuild(since=datetime.date(2022, 2, 24))
    assert StatusChange.objects.filter(area=area).count() == 4
    assert status_recompute_full().changes_appended == 0
    assert report.changes_appended >= 3


def test_policy_edits_change_the_outcome():
    area = AreaFactory()
    IncidentFactory(area=area, occurred_on=RECENT)
    status_recompute_full()
    assert AreaStatus.objects.get(area=area).level == StatusLevel.ADVISORY
    Policy.objects.filter(is_active=True).update(advisory_threshold=5, recommended_threshold=10)
    status_recompute_full()
    assert not AreaStatus.objects.filter(area=area).exclude(level=StatusLevel.NORMAL).exists()


@pytest.mark.postgres
def test_a_held_advisory_lock_makes_a_recompute_report_skipped():
    import psycopg

    from evactrack.status.locks import _advisory_key

    AreaFactory()
    db = connection.settings_dict
    other = psycopg.connect(
        dbname=db["NAME"], user=db["USER"], password=db["PASSWORD"] or None, host=db["HOST"], port=db["PORT"] or 5432
    )
    try:
        other.execute("SELECT pg_advisory_xact_lock(%s)", [_advisory_key(RECOMPUTE_LOCK)])  # another "worker"
        assert status_recompute_full().skipped
        assert status_recompute_dirty().skipped
    finally:
        other.rollback()
        other.close()
    assert not status_recompute_full().skipped


def test_a_held_lock_row_makes_the_second_recompute_report_skipped():
    AreaFactory()
    if connection.vendor == "postgresql":
        pytest.skip("PostgreSQL uses the advisory lock (test above)")
    RecomputeLock.objects.create(
        name=RECOMPUTE_LOCK, holder="another-worker", expires_at=timezone.now() + datetime.timedelta(minutes=5)
    )
    assert status_recompute_full().skipped
    assert RecomputeRun.objects.filter(skipped=True).count() == 1
    # A lock whose holder died expires.
    RecomputeLock.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert not status_recompute_full().skipped
    assert not RecomputeLock.objects.exists()


def test_default_policy_and_schedules_are_installed_by_migration():
    from django_celery_beat.models import PeriodicTask

    assert Policy.objects.filter(is_active=True).count() == 1
    tasks = sorted(PeriodicTask.objects.filter(task__startswith="status.").values_list("task", "kwargs", "enabled"))
    assert tasks == [
        ("status.expire_orders", "{}", True),
        ("status.recompute_dirty", "{}", True),
        ("status.recompute_full", '{"every_area": true}', True),
        ("status.recompute_full", "{}", True),
    ]
    sweep = PeriodicTask.objects.get(task="status.recompute_dirty")
    assert sweep.interval.every == 30


def test_activating_a_policy_deactivates_the_others():
    from evactrack.status.services import policy_save

    stricter = policy_save(policy=Policy(name="Stricter", is_active=True, advisory_threshold=3))
    assert list(Policy.objects.filter(is_active=True)) == [stricter]
    with pytest.raises(ValidationError):
        policy_save(policy=Policy(name="Upside down", advisory_threshold=5, recommended_threshold=2))


def test_selectors_run_a_fixed_number_of_queries():
    hromada_area = default_hromada()
    first = AreaFactory()
    IncidentFactory(area=first, occurred_on=RECENT)
    status_recompute_full()
    past = RECENT - datetime.timedelta(days=400)
    calls = {
        "status_for_area now": lambda: status_for_area(area=hromada_area),
        "status_for_area past": lambda: status_for_area(area=hromada_area, as_of=past),
        "status_history": lambda: list(status_history(area=first)),
        "status_summary": lambda: status_summary(area=hromada_area),
    }
    few = {name: _queries_of(call) for name, call in calls.items()}
    source = SourceFactory()
    for _n in range(20):
        area = AreaFactory()
        IncidentFactory(area=area, occurred_on=RECENT, source=source)
    status_recompute_full()
    for name, call in calls.items():
        many = _queries_of(call)
        assert len(many) == len(few[name]), "\n".join([f"-- {name}, 1 area:", *few[name], "-- 21 areas:", *many])


def test_incremental_runs_end_where_a_full_recompute_would():
    areas = _settlements_with_inputs(4)
    status_recompute_full()
    # Changes of every kind, each served by the dirty path only.
    IncidentFactory(
        area=areas[1], occurred_on=RECENT, incident_type="missile_strike", fatalities=30, fatalities_qualifier="exact"
    )
    PopulationCountFactory(area=areas[2], kind="present", total=40, reference_date=RECENT)
    PopulationCountFactory(area=default_hromada(), kind="present", total=900, reference_date=RECENT)
    order = OrderFactory(
        area=areas[3], kind="recommended", effective_from=RECENT, people_subject=70, people_subject_qualifier="exact"
    )
    order_lift(order=order, lifted_on=TODAY)
    DesignationFactory(area=Area.objects.get(code="UA98010000000000002"), kind="occupied", valid_from=RECENT)
    status_recompute_dirty()
    assert not DirtyArea.objects.exists()
    full = status_recompute_full()
    assert (full.rows_written, full.changes_appended) == (0, 0)
