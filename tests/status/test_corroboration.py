"""One organization's unverified reports cannot raise an area past advisory on their own."""

import pytest
from django.contrib.admin.sites import site
from django.utils import timezone

from evactrack.status.choices import StatusLevel
from evactrack.status.models import Policy
from evactrack.status.selectors import status_for_area
from evactrack.status.services import policy_save, status_recompute_full
from reports.services import incident_review
from tests.factories import AreaFactory, IncidentFactory, OrganizationFactory

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()


@pytest.fixture
def strikes():
    """Ten unverified missile strikes from one partner in one settlement."""
    area = AreaFactory()
    partner = OrganizationFactory(slug="one-partner")
    incidents = [
        IncidentFactory(area=area, incident_type="missile_strike", occurred_on=TODAY, reporting_organization=partner)
        for _n in range(10)
    ]
    return area, incidents


def _levels(area):
    oblast = area.parent.parent.parent
    return status_for_area(area=area).level, status_for_area(area=oblast).level


def test_one_organization_raises_its_area_and_oblast_to_advisory_only(strikes):
    area, _incidents = strikes
    status_recompute_full()
    assert _levels(area) == (StatusLevel.ADVISORY, StatusLevel.ADVISORY)
    reason = status_for_area(area=area).reasons[0]
    assert reason["held_down"]["level"] == StatusLevel.EVACUATION_RECOMMENDED
    assert "unverified reports from 1 organization" in status_for_area(area=area).sentence


def test_a_second_organization_or_verification_counts_in_full(strikes, staff_user):
    area, _incidents = strikes
    IncidentFactory(area=area, occurred_on=TODAY, reporting_organization=OrganizationFactory(slug="another"))
    status_recompute_full()
    assert _levels(area) == (StatusLevel.EVACUATION_RECOMMENDED, StatusLevel.EVACUATION_RECOMMENDED)

    lone = AreaFactory()
    for incident in [
        IncidentFactory(area=lone, incident_type="missile_strike", occurred_on=TODAY, reporting_organization=None)
        for _n in range(5)
    ]:
        incident_review(incident=incident, state="verified", actor=staff_user)
    status_recompute_full()
    assert status_for_area(area=lone).level == StatusLevel.EVACUATION_RECOMMENDED


def test_staff_turn_the_rule_off_in_the_policy(strikes):
    area, _incidents = strikes
    policy = Policy.objects.get(is_active=True)
    policy.unverified_level_cap = StatusLevel.EVACUATION_RECOMMENDED
    policy_save(policy=policy)
    status_recompute_full()
    assert _levels(area) == (StatusLevel.EVACUATION_RECOMMENDED, StatusLevel.EVACUATION_RECOMMENDED)
    admin_form = site._registry[Policy].get_form(request=None)
    assert {"unverified_level_cap", "corroborating_organizations"} <= set(admin_form.base_fields)
