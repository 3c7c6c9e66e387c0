"""End to end on the article seeds: the Kupiansk timeline comes out of the rebuilt history."""

import datetime

import pytest
from django.core.management import call_command

from evactrack.status.choices import StatusLevel
from evactrack.status.models import AreaStatus, RecomputeRun, StatusChange
from evactrack.status.selectors import status_for_area, status_history
from evactrack.status.services import status_recompute_full
from locations.models import Area

pytestmark = pytest.mark.django_db

KUPIANSK = "UA63080090010026457"


def _from_history(area, day):
    return status_history(area=area, until=day).last()


def test_kupiansk_occupied_then_under_fire_then_under_mandatory_evacuation():
    call_command("seed", verbosity=0)
    call_command("rebuild_status_history", "--since", "2022-02-24", verbosity=0)
    kupiansk = Area.objects.get(code=KUPIANSK)

    spring = _from_history(kupiansk, datetime.date(2022, 5, 1))
    assert spring.level == StatusLevel.NO_ACCESS
    assert any(r["kind"] == "designation" and r["designation"] == "occupied" for r in spring.reasons)

    # Recaptured on 2022-09-10: access again. On the official list of active hostilities, which
    # is legal context and gives advisory by the policy's default; no order, and the shelling in
    # the window does not reach the recommended threshold.
    september = _from_history(kupiansk, datetime.date(2022, 9, 25))
    assert september.level == StatusLevel.ADVISORY
    kinds = {r.get("designation") or r["kind"] for r in september.reasons}
    assert "active_hostilities" in kinds
    assert "occupied" not in kinds
    assert (
        "territory of active hostilities since the week from 2022-09-10, day unknown (official list: legal context"
        in september.sentence
    )

    august = _from_history(kupiansk, datetime.date(2023, 8, 20))
    assert august.level == StatusLevel.EVACUATION_MANDATORY
    assert august.sentence.startswith("Mandatory evacuation: order of the Kupiansk")

    # The history and a computation for the date agree.
    for day, change in [(datetime.date(2022, 5, 1), spring), (datetime.date(2023, 8, 20), august)]:
        computed = status_for_area(area=kupiansk, as_of=day)
        assert (computed.level, computed.reasons) == (change.level, change.reasons)
    # Parents take the worst of their children: Kharkiv oblast was no_access while Kupiansk was occupied.
    kharkiv_oblast = Area.objects.ancestors_of(kupiansk).get(level="oblast")
    assert _from_history(kharkiv_oblast, datetime.date(2022, 5, 1)).level == StatusLevel.NO_ACCESS


def test_the_seed_command_builds_the_dated_history_itself():
    """After `seed` alone the timeline starts in 2022, not with today's "normal → …"."""
    call_command("seed", verbosity=0)
    kupiansk = Area.objects.get(code=KUPIANSK)
    timeline = list(status_history(area=kupiansk).values_list("as_of", "previous_level", "level"))
    assert timeline[0] == (datetime.date(2022, 2, 24), StatusLevel.NORMAL, StatusLevel.NO_ACCESS)
    assert _from_history(kupiansk, datetime.date(2023, 8, 20)).level == StatusLevel.EVACUATION_MANDATORY
    # The current status agrees with the last step: the next recompute appends nothing.
    assert status_recompute_full().changes_appended == 0
    assert status_recompute_full(every_area=True).changes_appended == 0


def test_a_second_seed_run_that_changes_nothing_writes_nothing():
    call_command("seed", verbosity=0)
    before = (StatusChange.objects.count(), RecomputeRun.objects.count(), _status_rows())
    call_command("seed", verbosity=0)
    assert (StatusChange.objects.count(), RecomputeRun.objects.count(), _status_rows()) == before


def _status_rows():
    return list(AreaStatus.objects.order_by("area_id").values_list("area_id", "digest", "computed_at"))
