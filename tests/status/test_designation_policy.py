"""The level of each kind of the official hostilities list is the policy's, edited by staff."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse

from evactrack.status.choices import DESIGNATION_LEVEL_FIELDS, StatusLevel
from evactrack.status.engine import PolicyRules
from evactrack.status.models import AreaStatus, Policy
from evactrack.status.services import policy_rules_active, policy_save, status_recompute_full
from reports.choices import ControlKind
from tests.factories import DesignationFactory, default_hromada

pytestmark = pytest.mark.django_db

DEFAULTS = {
    ControlKind.POSSIBLE_HOSTILITIES: StatusLevel.ADVISORY,
    ControlKind.ACTIVE_HOSTILITIES: StatusLevel.ADVISORY,
    ControlKind.ACTIVE_HOSTILITIES_E_RESOURCES: StatusLevel.ADVISORY,
    ControlKind.OCCUPIED: StatusLevel.NO_ACCESS,
    ControlKind.ENCIRCLED: StatusLevel.NO_ACCESS,
}


def test_every_kind_has_a_policy_field_with_its_default_and_the_engine_reads_it():
    policy = Policy(name="Fresh")
    assert {kind: getattr(policy, DESIGNATION_LEVEL_FIELDS[kind]) for kind in ControlKind.values} == DEFAULTS
    # The engine without a policy and with a fresh one agree, and so does the migrated row.
    assert PolicyRules().designation_levels == DEFAULTS
    assert PolicyRules.from_policy(policy).designation_levels == DEFAULTS
    assert policy_rules_active().designation_levels == DEFAULTS


def test_a_policy_refuses_a_level_that_is_not_one():
    with pytest.raises(ValidationError) as raised:
        policy_save(policy=Policy(name="Typo", level_occupied="closed"))
    assert "level_occupied" in raised.value.message_dict
    policy = Policy.objects.get(is_active=True)
    with pytest.raises(IntegrityError), transaction.atomic():
        Policy.objects.filter(pk=policy.pk).update(level_encircled="closed")


def test_staff_raise_active_hostilities_and_the_recompute_applies_it():
    hromada = default_hromada()
    DesignationFactory(area=hromada, kind=ControlKind.ACTIVE_HOSTILITIES, valid_from=datetime.date(2022, 9, 10))
    status_recompute_full()
    assert AreaStatus.objects.get(area=hromada).level == StatusLevel.ADVISORY

    policy = Policy.objects.get(is_active=True)
    policy.level_active_hostilities = StatusLevel.EVACUATION_RECOMMENDED
    policy_save(policy=policy)
    status_recompute_full()
    assert AreaStatus.objects.get(area=hromada).level == StatusLevel.EVACUATION_RECOMMENDED


def test_the_policy_change_form_offers_each_kind_as_a_choice_of_levels(client, staff_user):
    client.force_login(staff_user)
    policy = Policy.objects.get(is_active=True)
    page = client.get(reverse("admin:status_policy_change", args=[policy.pk])).content.decode()
    for name in DESIGNATION_LEVEL_FIELDS.values():
        assert f'<select name="{name}"' in page
    assert "Territory of active hostilities" in page
