"""Issue 16 item 6 through the database: what the loader reads (patterns begun before the
window, civilian figures, hazard types), the runs that judge only what changed, and the history."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from evactrack.status.models import AreaStatus, Policy, StatusChange
from evactrack.status.services import policy_save, status_history_rebuild, status_recompute_full
from tests.factories import AreaFactory, IncidentFactory

pytestmark = pytest.mark.django_db
D = datetime.date
DAY = datetime.timedelta(days=1)


def status_of(area):
    return AreaStatus.objects.get(area=area)


def test_a_mass_grave_of_443_leaves_izium_normal_and_names_it():
    izium = AreaFactory()
    IncidentFactory(
        area=izium, incident_type="mass_grave", occurred_on=D(2022, 3, 1), occurred_until=D(2022, 9, 10),
        discovered_on=D(2022, 9, 15), fatalities=443, fatalities_qualifier="at_least",
    )  # fmt: skip
    # Dated by the violence (March), it is outside September's window; by a report dated on its
    # discovery it is inside, and still adds nothing.
    IncidentFactory(
        area=izium, incident_type="mass_grave", occurred_on=D(2022, 9, 15), fatalities=443,
        fatalities_qualifier="at_least",
    )  # fmt: skip
    status_recompute_full(as_of=D(2022, 9, 20), every_area=True)
    status = status_of(izium)
    assert (status.level, status.score) == ("normal", 0)
    assert status.reasons[0]["context"] == {"mass_grave": 1}


def test_a_policy_can_make_evidence_score_again_and_refuses_unknown_types():
    policy = Policy(name="graves score", is_active=True)
    policy.hazard_types = [*policy.hazard_types, "mass_grave"]
    policy_save(policy=policy)
    status_recompute_full()  # serves the full run the new policy asked for (today's)
    izium = AreaFactory()
    IncidentFactory(area=izium, incident_type="mass_grave", occurred_on=D(2022, 9, 15), fatalities=443,
                    fatalities_qualifier="at_least")  # fmt: skip
    status_recompute_full(as_of=D(2022, 9, 20), every_area=True)
    # 0.5 × 443 (held at advisory: one unverified report)
    assert (status_of(izium).score, status_of(izium).level) == (221.5, "advisory")
    policy.hazard_types = ["picnic"]
    with pytest.raises(ValidationError) as caught:
        policy_save(policy=policy)
    assert "hazard_types" in caught.value.message_dict


def test_only_civilian_casualties_score_and_rows_without_the_split_keep_their_score():
    soldiers, unsplit = AreaFactory(), AreaFactory()
    # 10 killed, none of them civilians: the shelling's weight alone.
    IncidentFactory(area=soldiers, fatalities=10, fatalities_qualifier="exact", civilians_killed=0,
                    civilians_killed_qualifier="exact")  # fmt: skip
    IncidentFactory(area=unsplit, fatalities=10, fatalities_qualifier="exact")
    status_recompute_full(as_of=D(2023, 8, 10), every_area=True)
    assert status_of(soldiers).score == 1.0
    assert status_of(soldiers).reasons[0]["civilian_split"] == 1
    assert status_of(unsplit).score == 1.0 + 0.5 * 10
    assert "civilian_split" not in status_of(unsplit).reasons[0]


def test_a_pattern_begun_before_the_window_is_read_and_the_hourly_run_misses_none_of_its_days():
    village = AreaFactory()
    IncidentFactory(area=village, kind="pattern", occurred_on=D(2023, 6, 1), occurred_until=D(2023, 7, 31))
    as_of = D(2023, 7, 25)  # the lookback (21 days) starts on Jul 5, long after Jun 1
    status_recompute_full(as_of=as_of, every_area=True)
    assert (status_of(village).level, status_of(village).score) == ("advisory", 1.0)
    assert status_of(village).reasons[0]["patterns"] == 1
    # Day by day, the run that judges only what changed ends where judging every area ends.
    while as_of <= D(2023, 8, 22):
        as_of += DAY
        status_recompute_full(as_of=as_of)
        check = status_recompute_full(as_of=as_of, every_area=True)
        assert (check.rows_written, check.changes_appended) == (0, 0), f"the full run at {as_of} missed a change"
    assert status_of(village).level == "normal"


def test_the_history_of_a_pattern_steps_where_it_leaves_the_windows():
    village = AreaFactory()
    IncidentFactory(area=village, kind="pattern", occurred_on=D(2023, 7, 1), occurred_until=D(2023, 7, 31))
    # Rebuilt from a day when the pattern is older than any lookback, and only where facts are.
    status_history_rebuild(since=D(2023, 7, 25), until=D(2023, 9, 1), only_where_facts=True)
    steps = list(StatusChange.objects.filter(area=village).order_by("as_of").values_list("as_of", "level"))
    # It scores to Aug 13 (its last day in a 14-day window), is held 7 days, and is gone on Aug 21.
    assert steps == [(D(2023, 7, 25), "advisory"), (D(2023, 8, 14), "advisory"), (D(2023, 8, 21), "normal")]
