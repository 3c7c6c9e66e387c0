"""The pure rules: same inputs, same result, no database."""

import dataclasses
import datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evactrack.status.choices import StatusLevel
from evactrack.status.engine import (
    AreaInputs,
    ChildStatus,
    DesignationFact,
    Figure,
    Figures,
    IncidentFact,
    OrderFact,
    PolicyRules,
    area_result,
    evaluate,
    order_in_force,
    reasons_sentence,
    sum_figures,
)

RULES = PolicyRules(
    window_days=14,
    type_weights={"shelling": 1.0, "missile_strike": 2.0},
    casualty_weight=0.5,
    advisory_threshold=1.0,
    recommended_threshold=10.0,
    counted_states=frozenset({"verified", "reported"}),
    hysteresis_days=7,
    lifted_shown_days=14,
)
D = datetime.date


def order(**overrides):
    fields = {
        "uid": "order-1",
        "kind": "mandatory",
        "population_group": "everyone",
        "authority": "Kupiansk district military administration",
        "state": "active",
        "effective_from": D(2023, 8, 10),
        "effective_until": None,
        "lifted_on": None,
        "people_subject": None,
        "children_subject": None,
        "target_code": "UA6308",
        "target_scope": "subtree",
    }
    fields.update(overrides)
    return OrderFact(**fields)


def incident(day, uid="i", state="verified", kind="shelling", casualties=0):
    return IncidentFact(uid=uid, occurred_on=day, incident_type=kind, verification_state=state, casualties=casualties)


def test_the_coordinator_sentence():
    inputs = AreaInputs(
        code="UA63080090010026457",
        orders=[order()],
        incidents=[incident(D(2023, 8, 20), f"i{n}") for n in range(3)],
    )
    result = evaluate(inputs, RULES, D(2023, 8, 21))
    assert result.level == StatusLevel.EVACUATION_MANDATORY
    assert reasons_sentence(result.level, result.reasons) == (
        "Mandatory evacuation: order of the Kupiansk district military administration, active since 2023-08-10; "
        "3 verified incidents in 14 days"
    )
    assert result.reasons[0]["uid"] == "order-1"
    assert sorted(result.reasons[1]["uids"]) == ["i0", "i1", "i2"]


@pytest.mark.parametrize(
    ("fields", "as_of", "in_force"),
    [
        ({}, D(2023, 8, 9), False),  # not yet
        ({}, D(2023, 8, 10), True),
        ({"state": "draft"}, D(2023, 9, 1), False),  # drafts never count
        ({"state": "lifted", "lifted_on": D(2023, 9, 1)}, D(2023, 8, 31), True),  # lifted later: judge by dates
        ({"state": "lifted", "lifted_on": D(2023, 9, 1)}, D(2023, 9, 1), False),
        ({"state": "expired", "effective_until": D(2023, 9, 1)}, D(2023, 9, 1), True),  # last day still counts
        ({"state": "expired", "effective_until": D(2023, 9, 1)}, D(2023, 9, 2), False),
        ({"effective_until": D(2023, 9, 1)}, D(2023, 9, 2), False),  # not expired by the task yet
        ({"state": "expired"}, D(2023, 9, 2), False),  # expired with no date: no longer counts
    ],
)
def test_order_in_force_judged_by_dates(fields, as_of, in_force):
    assert order_in_force(order(**fields), as_of) is in_force


def test_designations_occupied_is_no_access_and_active_hostilities_only_advisory():
    """The official list is legal context: active hostilities alone is advisory (it used to be
    evacuation recommended); an order or the incidents say more."""
    occupied = DesignationFact("d1", "occupied", D(2022, 2, 24), D(2022, 9, 10), "UA6308")
    hostilities = DesignationFact("d2", "active_hostilities", D(2022, 9, 10), None, "UA6308")
    inputs = AreaInputs(code="UA6308", designations=[occupied, hostilities])
    assert evaluate(inputs, RULES, D(2022, 6, 1)).level == StatusLevel.NO_ACCESS
    after = evaluate(inputs, RULES, D(2022, 9, 20))
    assert after.level == StatusLevel.ADVISORY
    assert reasons_sentence(after.level, after.reasons) == (
        "Advisory: territory of active hostilities since 2022-09-10 (official list: legal context, "
        "not an evacuation call)"
    )
    # A recommended order, or incidents over the threshold, raise it further.
    inputs.orders = [order(kind="recommended")]
    assert evaluate(inputs, RULES, D(2023, 8, 20)).level == StatusLevel.EVACUATION_RECOMMENDED
    inputs.orders = []
    inputs.incidents = [incident(D(2022, 9, 20), f"m{n}", kind="missile_strike") for n in range(5)]
    assert evaluate(inputs, RULES, D(2022, 9, 20)).level == StatusLevel.EVACUATION_RECOMMENDED
    # A mandatory order outranks active hostilities.
    inputs.orders = [order()]
    assert evaluate(inputs, RULES, D(2023, 8, 20)).level == StatusLevel.EVACUATION_MANDATORY
    assert evaluate(AreaInputs(), RULES, D(2022, 1, 1)).level == StatusLevel.NORMAL


@pytest.mark.parametrize(
    ("kind", "level"),
    [
        ("possible_hostilities", StatusLevel.ADVISORY),
        ("active_hostilities", StatusLevel.ADVISORY),
        ("active_hostilities_e_resources", StatusLevel.ADVISORY),
        ("occupied", StatusLevel.NO_ACCESS),
        ("encircled", StatusLevel.NO_ACCESS),
    ],
)
def test_each_kind_of_the_official_list_gives_the_policys_level(kind, level):
    inputs = AreaInputs(code="UA6308", designations=[DesignationFact("d", kind, D(2022, 3, 1), None, "UA6308")])
    assert evaluate(inputs, RULES, D(2022, 6, 1)).level == level
    # Staff change a kind's level in the policy, and only that kind moves.
    stricter = dataclasses.replace(RULES, designation_levels={**RULES.designation_levels, kind: "evacuation_mandatory"})
    assert evaluate(inputs, stricter, D(2022, 6, 1)).level == StatusLevel.EVACUATION_MANDATORY
    # A kind the policy does not name gives nothing.
    assert evaluate(inputs, dataclasses.replace(RULES, designation_levels={}), D(2022, 6, 1)).level == "normal"


def test_incident_thresholds_weights_and_states():
    day = D(2023, 5, 10)
    assert evaluate(AreaInputs(incidents=[incident(day)]), RULES, day).level == StatusLevel.ADVISORY
    many = [incident(day, f"m{n}", kind="missile_strike") for n in range(5)]
    assert evaluate(AreaInputs(incidents=many), RULES, day).score == 10.0
    assert evaluate(AreaInputs(incidents=many), RULES, day).level == StatusLevel.EVACUATION_RECOMMENDED
    # Casualties add weight; rejected and disputed reports never count.
    assert evaluate(AreaInputs(incidents=[incident(day, casualties=4)]), RULES, day).score == 3.0
    rejected = [incident(day, f"r{n}", state="rejected", kind="missile_strike") for n in range(9)]
    assert evaluate(AreaInputs(incidents=rejected), RULES, day).level == StatusLevel.NORMAL
    # Outside the window (14 days counting the as-of day) and in the future: nothing.
    assert evaluate(AreaInputs(incidents=[incident(D(2023, 4, 26))]), RULES, day).score == 0
    assert evaluate(AreaInputs(incidents=[incident(D(2023, 5, 11))]), RULES, day).level == StatusLevel.NORMAL


def test_hysteresis_holds_an_incident_level_then_lets_it_go():
    many = [incident(D(2023, 5, 1), f"m{n}", kind="missile_strike") for n in range(5)]
    inputs = AreaInputs(incidents=many)
    assert evaluate(inputs, RULES, D(2023, 5, 14)).level == StatusLevel.EVACUATION_RECOMMENDED  # in window
    held = evaluate(inputs, RULES, D(2023, 5, 15))  # out of the window, held
    assert held.level == StatusLevel.EVACUATION_RECOMMENDED
    assert held.score == 0
    assert held.reasons[0]["held_until"] == "2023-05-21"
    assert "kept at evacuation recommended until 2023-05-21" in reasons_sentence(held.level, held.reasons)
    assert evaluate(inputs, RULES, D(2023, 5, 21)).level == StatusLevel.EVACUATION_RECOMMENDED
    assert evaluate(inputs, RULES, D(2023, 5, 22)).level == StatusLevel.NORMAL


def test_lifted_order_is_named_for_a_while_without_raising_the_level():
    lifted = order(state="lifted", lifted_on=D(2023, 9, 1))
    shown = evaluate(AreaInputs(orders=[lifted]), RULES, D(2023, 9, 5))
    assert shown.level == StatusLevel.NORMAL
    assert shown.reasons[0]["kind"] == "order_ended"
    assert "lifted on 2023-09-01" in reasons_sentence(shown.level, shown.reasons)
    assert evaluate(AreaInputs(orders=[lifted]), RULES, D(2023, 9, 15)).reasons == []


def test_same_inputs_same_result():
    inputs = AreaInputs(code="X", orders=[order()], incidents=[incident(D(2023, 8, 20), f"i{n}") for n in range(3)])
    assert evaluate(inputs, RULES, D(2023, 8, 21)) == evaluate(inputs, RULES, D(2023, 8, 21))


def _child(level, people=None, children=None, subject=0):
    people_figure = Figure(people, 0) if people is not None else Figure(None, 1)
    children_figure = Figure(children, 0) if children is not None else Figure(None, 1)
    subject_figure = Figure(subject, 0) if subject is not None else Figure(None, 1)
    return ChildStatus(
        f"C{level}{people}", "child", level, 0.0, Figures(people_figure, children_figure, subject_figure)
    )


def test_roll_up_takes_the_worst_child_and_keeps_unknown_unknown():
    own = evaluate(AreaInputs(code="P"), RULES, D(2023, 1, 1))
    children = [_child(StatusLevel.NORMAL, 100, None), _child(StatusLevel.EVACUATION_MANDATORY, None, None, None)]
    result = area_result(own, AreaInputs(code="P"), children)
    assert result.level == StatusLevel.EVACUATION_MANDATORY
    assert result.reasons[-1]["kind"] == "areas"
    # Known parts are summed and the unknown ones counted: never a silent zero.
    assert result.figures.people_present == Figure(100, 1)
    assert result.figures.children_present == Figure(None, 2)
    assert result.figures.people_subject == Figure(0, 1)
    assert not result.figures.people_present.complete
    assert sum_figures([]) == Figure(None, 0)


def test_people_subject_counted_once_where_orders_overlap():
    two_orders = [order(uid="a", target_code="UA63"), order(uid="b", target_code="UA6308")]
    leaf_inputs = AreaInputs(code="UA6308001", orders=two_orders, people_present=500, children_present=40)
    leaf = area_result(evaluate(leaf_inputs, RULES, D(2023, 8, 20)), leaf_inputs, [])
    assert leaf.figures.people_subject == Figure(500, 0)
    assert leaf.figures.children_subject == Figure(40, 0)
    # An order for older people only: some are subject, how many is unknown.
    elderly_inputs = AreaInputs(code="L", orders=[order(population_group="elderly")], people_present=500)
    elderly = area_result(evaluate(elderly_inputs, RULES, D(2023, 8, 20)), elderly_inputs, [])
    assert elderly.figures.people_subject == Figure(None, 1)
    # The authority's own figure for exactly the area it targets wins over our sum below it.
    stated_inputs = AreaInputs(code="UA6308", orders=[order(people_subject=12000, children_subject=600)])
    stated = area_result(evaluate(stated_inputs, RULES, D(2023, 8, 20)), stated_inputs, [_child("normal", 10)])
    assert stated.figures.people_subject == Figure(12000, 0)
    assert stated.figures.children_subject == Figure(600, 0)


# --- recheck_on: until that day, the same inputs judge the same -------------------------------

DAYS = st.integers(min_value=0, max_value=60)
BASE = D(2024, 1, 1)


@st.composite
def _inputs_and_date(draw):
    as_of = BASE + datetime.timedelta(days=draw(st.integers(min_value=20, max_value=60)))

    def day(value):
        return BASE + datetime.timedelta(days=value)

    incidents = [
        incident(
            as_of - datetime.timedelta(days=draw(st.integers(min_value=0, max_value=25))),  # never after as_of
            uid=f"i{n}",
            state=draw(st.sampled_from(["verified", "reported", "rejected"])),
            kind=draw(st.sampled_from(["shelling", "missile_strike"])),
            casualties=draw(st.integers(min_value=0, max_value=12)),
        )
        for n in range(draw(st.integers(min_value=0, max_value=12)))
    ]
    orders = []
    for n in range(draw(st.integers(min_value=0, max_value=3))):
        start = draw(DAYS)
        orders.append(
            order(
                uid=f"o{n}",
                kind=draw(st.sampled_from(["mandatory", "recommended"])),
                state=draw(st.sampled_from(["active", "lifted", "expired", "draft"])),
                effective_from=day(start),
                effective_until=draw(st.none() | st.builds(day, st.integers(min_value=start, max_value=90))),
                lifted_on=draw(st.none() | st.builds(day, st.integers(min_value=start, max_value=90))),
                # Its life cycle: confirmations (later ones known only from their day), a review
                # date, and a replacement taking effect.
                issued_on=draw(st.none() | st.builds(day, st.integers(min_value=0, max_value=start))),
                confirmed_on=draw(st.none() | st.builds(day, st.integers(min_value=start, max_value=90))),
                review_on=draw(st.none() | st.builds(day, st.integers(min_value=start, max_value=90))),
                superseded_from=draw(st.none() | st.builds(day, st.integers(min_value=start, max_value=90))),
            )
        )
    designations = []
    for n in range(draw(st.integers(min_value=0, max_value=2))):
        start = draw(DAYS)
        designations.append(
            DesignationFact(
                f"d{n}",
                draw(st.sampled_from(["occupied", "active_hostilities", "possible_hostilities", "encircled"])),
                day(start),
                draw(st.none() | st.builds(day, st.integers(min_value=start, max_value=90))),
                "UA63",
            )
        )
    return AreaInputs(code="UA63", designations=designations, orders=orders, incidents=incidents), as_of


@settings(max_examples=300, deadline=None)
@given(_inputs_and_date())
def test_the_same_inputs_judge_alike_until_recheck_on(case):
    inputs, as_of = case
    rules = dataclasses.replace(RULES, order_review_days=20)  # so orders become "to confirm" in the span
    first = evaluate(inputs, rules, as_of)
    last_same_day = (first.recheck_on or as_of + datetime.timedelta(days=91)) - datetime.timedelta(days=1)
    day = as_of
    while day < last_same_day:
        day += datetime.timedelta(days=1)
        later = evaluate(inputs, rules, day)
        assert (later.level, later.score, later.reasons) == (first.level, first.score, first.reasons), day


def test_a_past_date_names_no_end_known_only_later():
    """On 2022-06-01 nobody knew the occupation would end on 2022-09-10, nor when an order would."""
    occupied = DesignationFact("d-1", "occupied", D(2022, 2, 24), D(2022, 9, 10), "UA6308")
    recommended = order(kind="recommended", effective_from=D(2022, 5, 1), effective_until=D(2022, 12, 31))
    result = evaluate(AreaInputs(code="UA6308", designations=[occupied], orders=[recommended]), RULES, D(2022, 6, 1))
    text = str(result.reasons) + reasons_sentence(result.level, result.reasons)
    assert result.level == StatusLevel.NO_ACCESS
    assert "2022-09-10" not in text and "2022-12-31" not in text
    assert "temporarily occupied since 2022-02-24" in reasons_sentence(result.level, result.reasons)
    # The end still decides when the same inputs judge differently.
    assert result.recheck_on == D(2022, 9, 11)


def strike(day, uid, state="reported", organization=1):
    return IncidentFact(
        uid=uid, occurred_on=day, incident_type="missile_strike", verification_state=state, organization_id=organization
    )


def test_unverified_reports_of_one_organization_count_toward_advisory_only():
    day = D(2023, 5, 10)
    alone = evaluate(AreaInputs(incidents=[strike(day, f"s{n}") for n in range(10)]), RULES, day)
    assert (alone.level, alone.score) == (StatusLevel.ADVISORY, 20.0)
    held_down = alone.reasons[0]["held_down"]
    assert held_down == {"rule": "corroboration", "level": StatusLevel.EVACUATION_RECOMMENDED,
                         "organizations": 1, "required": 2}  # fmt: skip
    assert reasons_sentence(alone.level, alone.reasons) == (
        "Advisory: 10 reported incidents in 14 days; held at advisory: unverified reports from 1 organization "
        "(evacuation recommended needs 2 organizations or verified reports)"
    )
    # A second organization in the same area and window corroborates: the score counts in full.
    two = [strike(day, f"s{n}") for n in range(9)] + [strike(day - datetime.timedelta(days=13), "o", organization=2)]
    assert evaluate(AreaInputs(incidents=two), RULES, day).level == StatusLevel.EVACUATION_RECOMMENDED
    # Verified reports count in full on their own.
    verified = [strike(day, f"v{n}", state="verified") for n in range(5)]
    assert evaluate(AreaInputs(incidents=verified), RULES, day).level == StatusLevel.EVACUATION_RECOMMENDED
    # Reports without an organization corroborate nothing.
    unnamed = [strike(day, f"u{n}", organization=None) for n in range(10)]
    assert evaluate(AreaInputs(incidents=unnamed), RULES, day).level == StatusLevel.ADVISORY


def test_the_corroboration_rule_is_the_policys():
    day = D(2023, 5, 10)
    alone = AreaInputs(incidents=[strike(day, f"s{n}") for n in range(10)])
    off = dataclasses.replace(RULES, unverified_level_cap=StatusLevel.EVACUATION_RECOMMENDED)
    assert evaluate(alone, off, day).level == StatusLevel.EVACUATION_RECOMMENDED
    three = dataclasses.replace(RULES, corroborating_organizations=3)
    two = AreaInputs(incidents=[strike(day, f"s{n}", organization=n % 2) for n in range(10)])
    assert evaluate(two, three, day).level == StatusLevel.ADVISORY
    assert evaluate(two, RULES, day).level == StatusLevel.EVACUATION_RECOMMENDED


def test_a_held_down_level_is_held_down_in_the_hysteresis_too():
    alone = AreaInputs(incidents=[strike(D(2023, 5, 1), f"s{n}") for n in range(10)])
    held = evaluate(alone, RULES, D(2023, 5, 16))
    assert held.level == StatusLevel.ADVISORY and held.reasons[0]["held_level"] == StatusLevel.ADVISORY


def test_a_status_took_effect_on_the_latest_date_its_reasons_name_up_to_as_of():
    from evactrack.status.engine import reasons_took_effect_on

    as_of = datetime.date(2026, 12, 2)
    reasons = [
        {"kind": "order", "since": "2023-08-10"},
        {"kind": "designation", "since": "2022-09-10"},
        {"kind": "incidents", "latest_on": None},
        {"kind": "order_ended", "ended_on": "2023-09-01"},
    ]
    assert reasons_took_effect_on(reasons, as_of) == datetime.date(2023, 9, 1)
    # A date after as_of (known now, not then) is not when it took effect.
    assert reasons_took_effect_on(reasons, datetime.date(2023, 8, 20)) == datetime.date(2023, 8, 10)
    # Nothing dated (a parent's roll-up, back to normal): the day it was judged.
    assert reasons_took_effect_on([{"kind": "areas", "count": 2}], as_of) == as_of
    assert reasons_took_effect_on([], as_of) == as_of
