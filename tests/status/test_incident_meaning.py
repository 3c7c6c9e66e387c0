"""Incidents that mean what they say (issue 16, item 6), in the pure engine: hazard types,
civilian-only casualties, and patterns that score once per window."""

import dataclasses
import datetime

import pytest

from evactrack.status.choices import StatusLevel
from evactrack.status.engine import (
    AreaInputs,
    IncidentFact,
    PolicyRules,
    evaluate,
    incident_casualties,
    reasons_sentence,
)

RULES = PolicyRules(
    window_days=14,
    type_weights={"shelling": 1.0, "missile_strike": 2.0, "mass_grave": 0.0},
    casualty_weight=0.5,
    advisory_threshold=1.0,
    recommended_threshold=10.0,
    hysteresis_days=7,
)
D = datetime.date
DAY = datetime.timedelta(days=1)


def fact(day, uid="i", kind="shelling", casualties=0, **more):
    return IncidentFact(
        uid=uid, occurred_on=day, incident_type=kind, verification_state="verified", casualties=casualties, **more
    )


def pattern(first, last, uid="p", kind="shelling", **more):
    return IncidentFact(
        uid=uid, occurred_on=first, incident_type=kind, verification_state="verified", kind="pattern",
        occurred_until=last, **more,
    )  # fmt: skip


# --- hazard types -------------------------------------------------------------------------


def test_a_mass_grave_of_443_does_not_raise_a_present_day_level_but_is_named():
    # Izium, September 2022: 443 dead found. Before, 0.5 × 443 made it "evacuation recommended".
    day = D(2022, 9, 16)
    grave = fact(day, "grave", kind="mass_grave", casualties=443)
    result = evaluate(AreaInputs(incidents=[grave]), RULES, day)
    assert result.level == StatusLevel.NORMAL
    assert result.score == 0
    (reason,) = result.reasons
    assert reason["count"] == 0 and reason["context"] == {"mass_grave": 1}
    assert "not scored" in reasons_sentence(result.level, result.reasons)
    assert "1 mass grave discovered" in reasons_sentence(result.level, result.reasons)
    # The context leaves with the window, as incidents do.
    assert result.recheck_on == day + 14 * DAY
    assert evaluate(AreaInputs(incidents=[grave]), RULES, day + 14 * DAY).reasons == []


def test_the_policy_decides_which_types_are_hazards():
    day = D(2022, 9, 16)
    grave = fact(day, "grave", kind="mass_grave", casualties=443)
    shelling = fact(day, "s", kind="shelling", casualties=2)
    scoring_graves = dataclasses.replace(RULES, hazard_types=RULES.hazard_types | {"mass_grave"})
    assert evaluate(AreaInputs(incidents=[grave]), scoring_graves, day).score == 221.5
    # Shelling taken off the hazards: it scores nothing, casualties included.
    no_shelling = dataclasses.replace(RULES, hazard_types=RULES.hazard_types - {"shelling"})
    result = evaluate(AreaInputs(incidents=[shelling, grave]), no_shelling, day)
    assert (result.level, result.score) == (StatusLevel.NORMAL, 0)
    assert result.reasons[0]["context"] == {"mass_grave": 1, "shelling": 1}
    # Default rules: shelling scores beside the grave, which stays context.
    result = evaluate(AreaInputs(incidents=[shelling, grave]), RULES, day)
    assert result.score == 2.0
    assert result.reasons[0]["count"] == 1 and result.reasons[0]["uids"] == ["s"]
    assert result.reasons[0]["context"] == {"mass_grave": 1}


def test_default_hazards_are_every_type_but_evidence_of_past_violence():
    from evactrack.status.models import Policy
    from reports.choices import IncidentType

    assert RULES.hazard_types == set(IncidentType.values) - {"mass_grave", "detention_site"}
    assert set(Policy().hazard_types) == RULES.hazard_types


# --- civilian casualties ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("figures", "expected"),
    [
        # (fatalities, injured, civilians_killed, civilians_injured) → (casualties that score, split)
        ((10, 4, 2, 1), (3, True)),  # only civilians
        ((10, 4, 0, 0), (0, True)),  # only soldiers hit: nothing
        ((10, 4, None, None), (14, False)),  # no split given: the totals, as before the split
        ((10, 4, 2, None), (6, True)),  # each figure by itself: civilians killed, everyone injured
        ((None, None, None, None), (0, False)),  # unknown counts nothing, and is not a zero stored
        ((None, None, 3, None), (3, True)),
    ],
)
def test_only_civilian_casualties_score_where_the_source_splits_them(figures, expected):
    assert incident_casualties(*figures) == expected


def test_the_reason_says_how_many_incidents_scored_on_civilians_alone():
    day = D(2023, 8, 10)
    split = fact(day, "a", casualties=3, civilian_split=True)
    total = fact(day, "b", casualties=14)
    result = evaluate(AreaInputs(incidents=[split, total]), RULES, day)
    assert result.score == 2 + 0.5 * 17
    assert result.reasons[0]["civilian_split"] == 1
    assert "1 scored on civilian casualties only" in reasons_sentence(result.level, result.reasons)
    # Without a split, the reason is as it was: no new key to rewrite stored statuses.
    assert "civilian_split" not in evaluate(AreaInputs(incidents=[total]), RULES, day).reasons[0]


# --- patterns -----------------------------------------------------------------------------


def test_a_pattern_over_a_month_scores_once_not_once_a_day():
    # "An increase in shelling" over August: one shelling's weight, however many days.
    increase = pattern(D(2023, 8, 1), D(2023, 8, 31), casualties=2)
    result = evaluate(AreaInputs(incidents=[increase]), RULES, D(2023, 8, 20))
    assert result.score == 1.0 + 0.5 * 2
    assert result.level == StatusLevel.ADVISORY
    assert result.reasons[0]["patterns"] == 1 and result.reasons[0]["uids"] == ["p"]
    assert "1 of them a pattern over a period" in reasons_sentence(result.level, result.reasons)
    # The same as events, one a day: each day scores.
    daily = [fact(D(2023, 8, 7) + n * DAY, f"e{n}", casualties=2) for n in range(14)]
    assert evaluate(AreaInputs(incidents=daily), RULES, D(2023, 8, 20)).score == 14 * 2.0


def test_a_pattern_counts_in_every_window_its_range_overlaps():
    increase = pattern(D(2023, 7, 1), D(2023, 7, 31))
    inputs = AreaInputs(incidents=[increase])
    # Begun long before the window: it still reaches into it.
    assert evaluate(inputs, RULES, D(2023, 7, 25)).score == 1.0
    # The window of Aug 13 (Jul 31 … Aug 13) holds its last day; Aug 14's does not.
    assert evaluate(inputs, RULES, D(2023, 8, 13)).score == 1.0
    assert evaluate(inputs, RULES, D(2023, 8, 13)).recheck_on == D(2023, 8, 14)
    assert evaluate(inputs, RULES, D(2023, 8, 14)).score == 0
    # Not begun yet.
    assert evaluate(inputs, RULES, D(2023, 6, 30)).reasons == []
    # Without an end: one day, like an event.
    one_day = AreaInputs(incidents=[pattern(D(2023, 7, 1), None)])
    assert evaluate(one_day, RULES, D(2023, 7, 14)).score == 1.0
    assert evaluate(one_day, RULES, D(2023, 7, 15)).score == 0


def test_a_pattern_holds_a_level_through_the_hysteresis_once():
    # Missile strikes over two weeks, with 10 casualties: 2 + 5 = 7, once; with a shelling of 3
    # casualties (2.5) on its last day the window reaches 9.5, under "recommended" (10).
    strikes = pattern(D(2023, 7, 1), D(2023, 7, 14), kind="missile_strike", casualties=10)
    shelling = fact(D(2023, 7, 14), "s", casualties=3)
    result = evaluate(AreaInputs(incidents=[strikes, shelling]), RULES, D(2023, 7, 14))
    assert (result.score, result.level) == (9.5, StatusLevel.ADVISORY)
    # Two patterns overlapping one window add up, each once.
    more = pattern(D(2023, 7, 5), D(2023, 7, 20), uid="p2", kind="missile_strike", casualties=2)
    result = evaluate(AreaInputs(incidents=[strikes, shelling, more]), RULES, D(2023, 7, 14))
    assert (result.score, result.level) == (12.5, StatusLevel.EVACUATION_RECOMMENDED)
    # Jul 30: the window (Jul 17 … 30) holds only the second (3.0), but the window of Jul 27
    # (Jul 14 … 27, three days back) held all three: its level stands until Aug 3.
    incidents = AreaInputs(incidents=[strikes, shelling, more])
    later = evaluate(incidents, RULES, D(2023, 7, 30))
    assert (later.score, later.level) == (3.0, StatusLevel.EVACUATION_RECOMMENDED)
    assert later.reasons[0]["held_until"] == "2023-08-03"
    assert evaluate(incidents, RULES, D(2023, 8, 4)).level == StatusLevel.ADVISORY
