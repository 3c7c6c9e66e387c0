"""Who must leave: the level for everyone beside the worst level, and the groups an order names."""

import dataclasses
import datetime

import pytest
from django.utils import timezone

from evactrack.status.choices import StatusLevel
from evactrack.status.engine import (
    GROUP_WORDS,
    AreaInputs,
    ChildStatus,
    DesignationFact,
    Figures,
    area_result,
    distribution_words,
    evaluate,
    reasons_sentence,
    settlement_distribution,
)
from evactrack.status.models import AreaStatus
from evactrack.status.selectors import status_history
from evactrack.status.services import status_history_rebuild, status_recompute_dirty, status_recompute_full
from reports.choices import PopulationGroup
from reports.services import order_update
from tests.factories import AreaFactory, IncidentFactory, OrderFactory, default_hromada
from tests.status.test_engine import RULES, D, incident, order

AS_OF = D(2023, 8, 21)
CHILDREN = PopulationGroup.CHILDREN_WITH_GUARDIANS
MANDATORY = StatusLevel.EVACUATION_MANDATORY
RECOMMENDED = StatusLevel.EVACUATION_RECOMMENDED


def _judge(*orders, incidents=(), designations=()):
    inputs = AreaInputs(code="UA6308", orders=orders, incidents=incidents, designations=designations)
    return evaluate(inputs, RULES, AS_OF)


def test_a_children_only_order_names_the_group_and_leaves_everyone_normal():
    result = _judge(order(population_group=CHILDREN))
    assert result.level == MANDATORY  # the worst for anyone: what partners read today
    assert result.level_for_everyone == StatusLevel.NORMAL
    assert result.group_levels == {CHILDREN: MANDATORY}


def test_everyone_else_gets_what_incidents_and_designations_give():
    hostilities = DesignationFact("d", "active_hostilities", D(2023, 1, 1), None, "UA6308")
    result = _judge(order(population_group=CHILDREN), designations=[hostilities])
    # Active hostilities give everyone advisory (the policy's default for the official list).
    assert (result.level, result.level_for_everyone) == (MANDATORY, StatusLevel.ADVISORY)
    assert result.group_levels == {CHILDREN: MANDATORY}
    shelled = _judge(order(population_group=CHILDREN), incidents=[incident(D(2023, 8, 20))])
    assert (shelled.level_for_everyone, shelled.group_levels) == (StatusLevel.ADVISORY, {CHILDREN: MANDATORY})


def test_an_order_for_everyone_names_no_group():
    result = _judge(order())
    assert (result.level, result.level_for_everyone, result.group_levels) == (MANDATORY, MANDATORY, {})


def test_a_group_order_no_stronger_than_the_order_for_everyone_is_not_listed():
    same = _judge(order(uid="all"), order(uid="kids", population_group=CHILDREN))
    assert (same.level_for_everyone, same.group_levels) == (MANDATORY, {})
    weaker = _judge(order(uid="all"), order(uid="old", kind="recommended", population_group=PopulationGroup.ELDERLY))
    assert weaker.group_levels == {}


def test_several_groups_each_at_their_worst():
    result = _judge(
        order(uid="a", kind="recommended", population_group=CHILDREN),
        order(uid="b", population_group=CHILDREN),
        order(uid="c", kind="recommended", population_group=PopulationGroup.INSTITUTIONS),
        order(uid="d", kind="recommended"),
    )
    assert result.level_for_everyone == RECOMMENDED
    assert result.group_levels == {CHILDREN: MANDATORY}  # institutions: recommended, as everyone


def _child(code, level, everyone=None, groups=None):
    return ChildStatus(code, code, level, 0.0, Figures(), level_for_everyone=everyone, group_levels=groups or {})


def test_a_parent_takes_the_worst_of_its_children_for_everyone_and_group_by_group():
    own = _judge(order(kind="recommended", population_group=PopulationGroup.LIMITED_MOBILITY))
    children = [
        _child("A", MANDATORY, StatusLevel.NORMAL, {CHILDREN: MANDATORY}),
        _child("B", StatusLevel.ADVISORY),  # no group: its level applies to everyone
        _child("C", RECOMMENDED, StatusLevel.ADVISORY, {CHILDREN: RECOMMENDED, PopulationGroup.ELDERLY: RECOMMENDED}),
    ]
    result = area_result(own, AreaInputs(code="UA6308"), children)
    assert result.level == MANDATORY
    assert result.level_for_everyone == StatusLevel.ADVISORY
    assert result.group_levels == {
        CHILDREN: MANDATORY,
        PopulationGroup.LIMITED_MOBILITY: RECOMMENDED,
        PopulationGroup.ELDERLY: RECOMMENDED,
    }
    # A child where everyone must leave outranks every group: none is named above it.
    everyone_out = area_result(own, AreaInputs(code="UA6308"), [*children, _child("D", MANDATORY)])
    assert (everyone_out.level_for_everyone, everyone_out.group_levels) == (MANDATORY, {})


def test_a_change_of_group_level_alone_is_a_change_of_status():
    children_only = area_result(_judge(order(population_group=CHILDREN)), AreaInputs(code="UA6308"), [])
    everyone = dataclasses.replace(children_only, level_for_everyone=MANDATORY, group_levels={})
    assert children_only.level == everyone.level and children_only.reasons == everyone.reasons
    assert children_only.digests()[1] != everyone.digests()[1]


def test_a_status_without_groups_digests_as_before_groups_were_judged():
    # Stored rows of areas that no group order covers are not rewritten (nor given history) on deploy.
    result = area_result(_judge(order()), AreaInputs(code="UA6308"), [])
    assert result.digests() == dataclasses.replace(result, level_for_everyone=None).digests()


def test_the_sentence_says_who_must_leave():
    result = _judge(order(population_group=CHILDREN))
    assert reasons_sentence(
        result.level, result.reasons, level_for_everyone=result.level_for_everyone, group_levels=result.group_levels
    ) == (
        "Mandatory evacuation of children with their parents or guardians; normal for everyone else: "
        "order of the Kupiansk district military administration for children with their parents or guardians, "
        "active since 2023-08-10"
    )
    both = _judge(order(uid="a", population_group=CHILDREN), order(uid="b", kind="recommended"))
    assert reasons_sentence(
        both.level, both.reasons, level_for_everyone=both.level_for_everyone, group_levels=both.group_levels
    ).startswith(
        "Mandatory evacuation of children with their parents or guardians; evacuation recommended for everyone: "
    )


def test_the_sentence_of_an_order_for_everyone_stays_as_it_was():
    result = _judge(order())
    words = reasons_sentence(
        result.level, result.reasons, level_for_everyone=result.level_for_everyone, group_levels=result.group_levels
    )
    assert words == reasons_sentence(result.level, result.reasons)
    assert words.startswith("Mandatory evacuation: order of the Kupiansk")


def test_every_group_an_order_can_name_has_words():
    assert set(GROUP_WORDS) == set(PopulationGroup.values) - {PopulationGroup.EVERYONE}


# --- stored and in history -----------------------------------------------------------------

RECENT = timezone.localdate() - datetime.timedelta(days=2)


@pytest.mark.django_db
def test_the_stored_status_and_its_parent_name_the_group():
    settlement = AreaFactory()
    OrderFactory(area=settlement, effective_from=RECENT, population_group=CHILDREN)
    status_recompute_full()
    own = AreaStatus.objects.get(area=settlement)
    assert (own.level, own.level_for_everyone, own.group_levels) == (MANDATORY, "normal", {CHILDREN: MANDATORY})
    assert own.sentence.startswith("Mandatory evacuation of children with their parents or guardians; normal for")
    parent = AreaStatus.objects.get(area=default_hromada())
    assert (parent.level_for_everyone, parent.group_levels) == ("normal", {CHILDREN: MANDATORY})


@pytest.mark.django_db
def test_a_change_in_group_level_alone_appends_history():
    settlement = AreaFactory()
    IncidentFactory(area=AreaFactory(), occurred_on=RECENT)  # a sibling: the hromada has reasons of its own
    made = OrderFactory(area=settlement, effective_from=RECENT, population_group=CHILDREN)
    status_recompute_full()
    hromada = default_hromada()
    before = list(status_history(area=hromada))
    # Now everyone in the settlement must leave: the hromada's level and reasons (one area below at
    # mandatory evacuation, the same one) stay; who must leave changed.
    order_update(order=made, population_group=PopulationGroup.EVERYONE)
    status_recompute_dirty()
    after = list(status_history(area=hromada))
    assert len(after) == len(before) + 1
    last, previous = after[-1], after[-2]
    assert (last.level, last.reasons) == (previous.level, previous.reasons)
    assert (previous.level_for_everyone, previous.group_levels) == (StatusLevel.ADVISORY, {CHILDREN: MANDATORY})
    assert (last.level_for_everyone, last.group_levels) == (MANDATORY, {})


@pytest.mark.django_db
def test_a_rebuilt_history_names_the_group_and_its_change():
    settlement = AreaFactory()
    OrderFactory(area=settlement, effective_from=D(2023, 8, 10), population_group=CHILDREN)
    OrderFactory(area=settlement, effective_from=D(2023, 9, 1))  # then everyone must leave
    status_history_rebuild(since=D(2023, 8, 1))
    history = list(status_history(area=settlement))
    steps = [(c.as_of, c.level, c.level_for_everyone, c.group_levels) for c in history]
    assert steps[:2] == [
        (D(2023, 8, 10), MANDATORY, "normal", {CHILDREN: MANDATORY}),
        (D(2023, 9, 1), MANDATORY, MANDATORY, {}),
    ]
    # Then each open-ended order, never confirmed, is "to confirm" 90 days after it took effect
    # (the policy's default): the reasons change, the levels do not.
    to_confirm = [(c.as_of, c.level, [r.get("to_confirm", False) for r in c.reasons]) for c in history[2:]]
    assert to_confirm == [
        (D(2023, 11, 9), MANDATORY, [True, False]),
        (D(2023, 12, 1), MANDATORY, [True, True]),
    ]
    current = AreaStatus.objects.get(area=settlement)
    assert (current.level_for_everyone, current.group_levels) == (MANDATORY, {})


def test_a_distribution_keeps_unknown_apart_from_zero():
    spread = settlement_distribution(
        [("evacuation_mandatory", 2, 1200, 1), ("advisory", 3, None, 3), ("normal", 10, 500, 0), ("advisory", 1, 40, 0)]
    )
    assert spread["evacuation_mandatory"] == {"settlements": 2, "people": 1200, "people_missing": 1}
    assert spread["advisory"] == {"settlements": 4, "people": 40, "people_missing": 3}
    assert spread["no_access"] == {"settlements": 0, "people": 0, "people_missing": 0}
    assert settlement_distribution([("advisory", 2, None, 2)])["advisory"]["people"] is None
    assert distribution_words(spread) == (
        "Mandatory evacuation in 2 of 16 settlements (1,200 people counted, 1 without a count); "
        "advisory in 4 of 16 (40 people counted, 3 without a count); the rest normal"
    )
    assert distribution_words(settlement_distribution([("normal", 5, None, 5)])) == "Normal in all 5 settlements"
