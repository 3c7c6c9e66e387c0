"""Figures and their qualifiers: one algebra for every sum, an authority's figure counted once,
part targets, and where people present comes from. Pure engine, no database."""

import dataclasses
import datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from evactrack.status.engine import (
    NOTHING,
    UNKNOWN,
    ZERO,
    AreaInputs,
    AreaResult,
    ChildStatus,
    DesignationFact,
    Figure,
    Figures,
    OrderFact,
    PolicyRules,
    SharedFigure,
    add_figures,
    area_result,
    evaluate,
    figures_words,
    precision_last_day,
    reasons_sentence,
    sum_figures,
)

D = datetime.date
AS_OF = D(2023, 8, 15)
RULES = PolicyRules()
QUALIFIERS = ["exact", "approximate", "at_least", "at_most"]

figures = st.one_of(
    st.builds(lambda missing: Figure(None, missing), st.integers(0, 3)),
    st.builds(
        lambda value, missing, qualifier: Figure(value, missing, False, qualifier),
        st.integers(0, 50),
        st.integers(0, 3),
        st.sampled_from(QUALIFIERS),
    ),
)


@given(figures, figures)
def test_the_sum_is_commutative(a, b):
    assert add_figures(a, b) == add_figures(b, a)


@given(figures, figures, figures)
def test_the_sum_is_associative(a, b, c):
    assert add_figures(add_figures(a, b), c) == add_figures(a, add_figures(b, c))


@given(figures)
def test_an_exact_zero_and_nothing_add_nothing(a):
    assert add_figures(a, NOTHING) == a
    # An exact 0 keeps a known figure as it is, and makes a wholly unknown one known: 0 so far.
    assert add_figures(a, ZERO) == (a if a.value is not None else Figure(0, a.missing))


@given(st.lists(figures, max_size=6))
def test_values_add_and_unknown_parts_are_counted_never_zero(parts):
    total = sum_figures(parts)
    known = [part.value for part in parts if part.value is not None]
    assert total.value == (sum(known) if known else None)
    assert total.missing == sum(part.missing for part in parts)
    assert (total.qualifier is None) == (total.value is None)


@given(st.sampled_from(QUALIFIERS), st.integers(1, 50), st.integers(1, 50))
def test_like_qualifiers_keep_their_kind(qualifier, a, b):
    assert add_figures(Figure(a, 0, False, qualifier), Figure(b, 0, False, qualifier)).qualifier == qualifier


@given(st.sampled_from(QUALIFIERS), st.sampled_from(QUALIFIERS), st.integers(1, 50), st.integers(1, 50))
def test_anything_else_is_approximate(first, second, a, b):
    total = add_figures(Figure(a, 0, False, first), Figure(b, 0, False, second))
    assert total.qualifier == (first if first == second else "approximate")


def test_the_written_cases():
    assert add_figures(Figure(12000, 0, False, "at_most"), ZERO) == Figure(12000, 0, False, "at_most")
    assert add_figures(Figure(5, 0, False, "at_least"), Figure(3, 0)).qualifier == "approximate"
    assert add_figures(Figure(5, 0, False, "at_least"), UNKNOWN) == Figure(5, 1, False, "at_least")
    assert Figure(3, 0).qualifier == "exact" and UNKNOWN.qualifier is None


def test_bases_add_like_qualifiers():
    present, baseline = Figure(10, 0, basis="present"), Figure(20, 0, basis="baseline")
    assert add_figures(present, present).basis == "present"
    assert add_figures(present, baseline).basis == "mixed"
    assert add_figures(baseline, UNKNOWN).basis == "baseline"


# --- the engine ------------------------------------------------------------------------------


def order(**overrides):
    fields = {
        "uid": "kupiansk-2023",
        "kind": "mandatory",
        "population_group": "everyone",
        "authority": "Kupiansk District Military Administration",
        "state": "active",
        "effective_from": D(2023, 8, 10),
        "effective_until": None,
        "lifted_on": None,
        "people_subject": None,
        "children_subject": None,
        "target_code": "CITY",
        "target_scope": "single",
    }
    fields.update(overrides)
    return OrderFact(**fields)


def leaf(code, orders=(), people=None, qualifier=None, basis="baseline", children=None):
    inputs = AreaInputs(
        code=code,
        orders=list(orders),
        people_present=people,
        people_present_qualifier=qualifier,
        people_present_basis=basis if people is not None else None,
        children_present=children,
    )
    return area_result(evaluate(inputs, RULES, AS_OF), inputs, [])


def child(code, result: AreaResult) -> ChildStatus:
    return ChildStatus(
        code, code, result.level, result.score, result.figures, result.level_for_everyone, result.group_levels
    )


def branch(code, children, shared=()):
    inputs = AreaInputs(code=code, shared_orders=list(shared))
    return area_result(evaluate(inputs, RULES, AS_OF), inputs, children)


STATED = {
    "people_subject": 12000,
    "people_subject_qualifier": "at_most",
    "children_subject": 600,
    "children_subject_qualifier": "at_least",
    "shared_at": "RAION",
}


def kupiansk_raion(**stated):
    """Two targets in two hromadas of a raion; a third hromada no order covers."""
    fields = {**STATED, **stated}
    city_order = order(target_code="CITY", **fields)
    village_order = order(target_code="VILLAGE", **fields)
    city = leaf("CITY", [city_order], people=25000, qualifier="approximate", children=3000)
    village = leaf("VILLAGE", [village_order], people=836, children=90)
    quiet = leaf("QUIET", people=400, basis="present", children=40)
    hromada_a, hromada_b = branch("HA", [child("CITY", city)]), branch("HB", [child("VILLAGE", village)])
    hromada_c = branch("HC", [child("QUIET", quiet)])
    shared = SharedFigure(city_order, frozenset({"HA", "HB"}))
    raion = branch("RAION", [child("HA", hromada_a), child("HB", hromada_b), child("HC", hromada_c)], [shared])
    oblast = branch("OBLAST", [child("RAION", raion), child("OTHER", leaf("OTHER", people=100))])
    return city, hromada_a, raion, oblast


def test_an_authoritys_figure_for_several_targets_counts_once_where_they_meet():
    city, hromada_a, raion, oblast = kupiansk_raion()
    # Not the whole city's population: the authority gave one figure for all the targets.
    assert city.figures.people_subject == UNKNOWN
    assert city.level == "evacuation_mandatory"
    assert hromada_a.figures.people_subject == Figure(None, 1)
    # At the raion the stated figure replaces the hromadas holding the targets, with its qualifier;
    # the hromada no order covers adds an exact 0, which changes nothing.
    assert raion.figures.people_subject == Figure(12000, 0, False, "at_most")
    assert raion.figures.children_subject == Figure(600, 0, False, "at_least")
    # Above, it is summed once, never again.
    assert oblast.figures.people_subject == Figure(12000, 0, False, "at_most")


def test_a_lifted_orders_shared_figure_no_longer_counts():
    _city, _hromada, raion, _oblast = kupiansk_raion(state="lifted", lifted_on=D(2023, 8, 12))
    assert raion.figures.people_subject == Figure(0, 0)


def test_another_subject_figure_beside_the_targets_is_added_with_the_algebra():
    city_order = order(target_code="CITY", **STATED)
    city = leaf("CITY", [city_order], people=25000)
    elsewhere = leaf("ELSEWHERE", [order(uid="other", target_code="ELSEWHERE")], people=300, basis="present")
    raion = branch(
        "RAION",
        [child("HA", branch("HA", [child("CITY", city)])), child("ELSEWHERE", elsewhere)],
        [SharedFigure(city_order, frozenset({"HA"}))],
    )
    assert raion.figures.people_subject == Figure(12300, 0, False, "approximate")


def test_a_part_target_applies_its_level_but_not_the_whole_population():
    part = order(target_scope="part", target_note="left bank", target_name="Kupiansk")
    result = leaf("CITY", [part], people=25000)
    assert result.level == "evacuation_mandatory"
    assert result.figures.people_subject == UNKNOWN
    assert result.figures.children_subject == UNKNOWN
    (reason,) = result.reasons
    assert reason["part"] == {"name": "Kupiansk", "note": "left bank"}
    assert "order of the Kupiansk District Military Administration in part of Kupiansk: left bank" in (
        reasons_sentence(result.level, result.reasons)
    )
    # What the order states for the part is its figure.
    stated = leaf("CITY", [dataclasses.replace(part, people_subject=12000, people_subject_qualifier="approximate")])
    assert stated.figures.people_subject == Figure(12000, 0, False, "approximate")


def test_single_and_subtree_targets_keep_no_part_in_their_reasons():
    (reason,) = leaf("CITY", [order()], people=10).reasons
    assert "part" not in reason


def test_people_present_says_whether_it_is_a_baseline():
    baseline = leaf("A", people=25000, qualifier="approximate", basis="baseline")
    assert baseline.figures.people_present == Figure(25000, 0, False, "approximate", "baseline")
    fields = baseline.figures.as_fields()
    assert (fields["people_present_qualifier"], fields["people_present_basis"]) == ("approximate", "baseline")
    # People subject say how many, not from which count.
    covered = leaf("A", [order(target_code="A")], people=25000, qualifier="approximate", basis="baseline")
    assert covered.figures.people_subject == Figure(25000, 0, False, "approximate")
    mixed = branch("P", [child("A", baseline), child("B", leaf("B", people=10, basis="present"))])
    assert mixed.figures.people_present == Figure(25010, 0, False, "approximate", "mixed")
    assert leaf("C").figures.as_fields()["people_present_basis"] == ""


def test_the_figures_in_words_carry_their_qualifiers():
    _city, _hromada, raion, _oblast = kupiansk_raion()
    fields = {
        **raion.figures.as_fields(),
        "people_present": 25836,
        "people_present_qualifier": "approximate",
        "people_present_basis": "baseline",
    }
    assert figures_words(fields) == (
        "At most 12,000 people subject to orders, at least 600 of them children; "
        "about 25,836 people present (pre-war baseline)"
    )
    # A withheld children figure is passed as None and not named.
    assert "children" not in figures_words({**fields, "children_subject": None})
    assert figures_words(Figures(people_subject=UNKNOWN).as_fields()) == "People subject to orders: unknown"
    # Nobody subject and nothing known: nothing to say.
    assert figures_words(Figures().as_fields()) == ""


def test_a_status_whose_figures_are_all_exact_digests_as_before_qualifiers():
    exact = AreaResult("normal", 0.0, [], Figures(Figure(10, 0), UNKNOWN, ZERO, ZERO))
    assert "qualifiers" not in exact.figures.digest_fields
    assert set(exact.figures.digest_fields) == {
        "people_present",
        "people_present_missing",
        "children_present",
        "children_present_missing",
        "people_subject",
        "people_subject_missing",
        "children_subject",
        "children_subject_missing",
        "children_withheld",
    }
    about = dataclasses.replace(exact, figures=Figures(Figure(10, 0, False, "approximate"), UNKNOWN, ZERO, ZERO))
    baseline = dataclasses.replace(exact, figures=Figures(Figure(10, 0, basis="baseline"), UNKNOWN, ZERO, ZERO))
    digests = {exact.digests()[0], about.digests()[0], baseline.digests()[0]}
    assert len(digests) == 3
    # Qualifiers are figures, not reasons: no history row for them alone.
    assert exact.digests()[1] == about.digests()[1]


# --- date precision --------------------------------------------------------------------------


def occupied(precision):
    return DesignationFact("d", "occupied", D(2022, 2, 24), None, "CITY", precision)


def test_a_start_known_to_the_month_counts_from_its_first_day_and_says_so():
    inputs = AreaInputs(code="CITY", designations=[occupied("month")])
    before = evaluate(inputs, RULES, D(2022, 2, 23))
    assert before.level == "normal"
    during = evaluate(inputs, RULES, D(2022, 2, 26))
    assert during.level == "no_access"
    (reason,) = during.reasons
    assert (reason["since"], reason["since_precision"], reason["uncertain"]) == ("2022-02-24", "month", True)
    assert reasons_sentence(during.level, during.reasons) == (
        "No access: temporarily occupied since February 2022, day unknown; perhaps not yet in force on this date"
    )
    # The reason changes when the month is over: the status is judged again then.
    assert during.recheck_on == D(2022, 3, 1)
    after = evaluate(inputs, RULES, D(2022, 5, 1))
    (reason,) = after.reasons
    assert "uncertain" not in reason and reason["since_precision"] == "month"
    assert (
        reasons_sentence(after.level, after.reasons)
        == "No access: temporarily occupied since February 2022, day unknown"
    )


def test_a_day_precise_start_says_nothing_more():
    (reason,) = evaluate(AreaInputs(code="CITY", designations=[occupied("day")]), RULES, D(2022, 2, 24)).reasons
    assert set(reason) == {"kind", "designation", "uid", "area", "since"}


def test_an_order_known_to_the_week_is_uncertain_for_that_week():
    week = order(effective_from_precision="week")
    inputs = AreaInputs(code="CITY", orders=[week])
    assert evaluate(inputs, RULES, D(2023, 8, 16)).reasons[0]["uncertain"] is True
    late = evaluate(inputs, RULES, D(2023, 8, 17))
    assert "uncertain" not in late.reasons[0]
    assert "active since the week from 2023-08-10, day unknown" in reasons_sentence(late.level, late.reasons)


@pytest.mark.parametrize(
    ("day", "precision", "last"),
    [
        (D(2022, 2, 24), "month", D(2022, 2, 28)),
        (D(2024, 2, 1), "month", D(2024, 2, 29)),
        (D(2022, 12, 5), "month", D(2022, 12, 31)),
        (D(2022, 9, 10), "week", D(2022, 9, 16)),
        (D(2022, 6, 1), "year", D(2022, 12, 31)),
        (D(2022, 6, 1), "day", D(2022, 6, 1)),
    ],
)
def test_the_last_possible_day(day, precision, last):
    assert precision_last_day(day, precision) == last
