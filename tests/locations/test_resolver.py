"""The resolver: ranking, context, honest ambiguity, and the search helper for admin and API."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from locations.models import Area
from locations.resolver import AMBIGUOUS, NOT_FOUND, RESOLVED, resolve, search_areas

pytestmark = pytest.mark.django_db

KUPIANSK = "UA63080090010026457"
KUPIANSK_RAION = "UA63080000000032022"
SHEVCHENKOVE_SELYSHCHE = "UA63080150010082504"


@pytest.mark.parametrize(
    "text", ["Kupiansk", "Kupyansk", "Kup'yans'k", "KUPJANSK", "Купянск", "Куп’янськ", "куп'янськ", "Kupianks"]
)
def test_spellings_of_kupiansk_resolve_to_it(small_gazetteer, text):
    result = resolve(text)
    assert result.outcome == RESOLVED, result.candidates
    assert result.area.code == KUPIANSK


def test_a_candidate_says_why(small_gazetteer):
    best = resolve("Kupyansk").candidates[0]
    assert best.match in ("official_spelling", "alias")
    assert any("city" in reason for reason in best.reasons)
    assert any("population 27,169" in reason for reason in best.reasons)
    assert best.as_dict()["code"] == KUPIANSK


def test_the_official_name_beats_a_sound_alike(small_gazetteer):
    result = resolve("Kupiansk")
    assert result.candidates[0].match == "official"
    assert result.candidates[0].score > result.candidates[1].score


def test_a_city_comes_before_the_raion_and_hromada_named_after_it(small_gazetteer):
    result = resolve("Kupiansk")
    assert [c.area.level for c in result.candidates[:3]] == ["settlement", "raion", "hromada"]


def test_kind_words_pick_the_raion_the_hromada_or_the_oblast(small_gazetteer):
    assert resolve("Kupiansk raion").area.code == KUPIANSK_RAION
    assert resolve("Kupyansk district").area.code == KUPIANSK_RAION
    assert resolve("Kupiansk hromada").area.code == "UA63080090000067457"
    assert resolve("Харківська область").area.code == "UA63000000000041885"
    assert resolve("Kharkivska oblast").area.code == "UA63000000000041885"


def test_same_named_villages_without_context_are_ambiguous(small_gazetteer):
    result = resolve("Vasylivka")
    assert result.outcome == AMBIGUOUS
    assert result.area is None
    assert len(result.candidates) >= 2


def test_shevchenkove_the_hromada_centre_is_not_a_confident_answer_nationwide(small_gazetteer):
    # A selyshche of 7,090 in Kharkiv oblast against a village of 3,150 that is also a hromada
    # centre (Mykolaiv oblast): close enough that the caller must say which.
    assert resolve("Shevchenkove").outcome == AMBIGUOUS


def test_within_an_oblast_or_raion_decides(small_gazetteer):
    raion = Area.objects.get(code=KUPIANSK_RAION)
    assert resolve("Shevchenkove", within=raion).area.code == SHEVCHENKOVE_SELYSHCHE
    assert resolve("Shevchenkove", within="UA63000000000041885").area.code == SHEVCHENKOVE_SELYSHCHE
    assert resolve("Shevchenkove", within="UA48000000000039575").area.code == "UA48060370010072079"


def test_context_in_the_text_decides(small_gazetteer):
    assert resolve("Shevchenkove, Kupiansk raion").area.code == SHEVCHENKOVE_SELYSHCHE
    assert resolve("Shevchenkove (Kharkivska oblast)").area.code == SHEVCHENKOVE_SELYSHCHE


def test_near_a_point_or_a_named_place_decides(small_gazetteer):
    assert resolve("Shevchenkove", near=(46.9, 32.2)).area.code == "UA48060370010072079"
    assert resolve("Shevchenkove", near=(49.7, 37.2)).area.code == SHEVCHENKOVE_SELYSHCHE
    assert resolve("Shevchenkove", near="Kupiansk").area.code == SHEVCHENKOVE_SELYSHCHE


def test_codes_and_unknown_names(small_gazetteer):
    assert resolve(KUPIANSK).area.code == KUPIANSK
    assert resolve("UA6308").area.code == KUPIANSK_RAION  # a P-code
    assert resolve("Atlantis").outcome == NOT_FOUND
    assert resolve("   ").outcome == NOT_FOUND


def test_a_lookup_runs_one_query(small_gazetteer):
    resolve("Kupyansk")
    with CaptureQueriesContext(connection) as queries:
        resolve("Kupyansk")
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_search_areas_ranks_candidates_for_a_search_box(small_gazetteer):
    found = list(search_areas(Area.objects.all(), "Kupyansk").values_list("code", flat=True))
    assert found[0] == KUPIANSK
    assert KUPIANSK_RAION in found
    by_code = search_areas(Area.objects.all(), "UA630800").values_list("code", flat=True)
    assert by_code and all(code.startswith("UA630800") for code in by_code)
    assert search_areas(Area.objects.all(), "Atlantis").count() == 0
    assert search_areas(Area.objects.all(), "").count() == Area.objects.count()


KHARKIV_OBLAST = "UA63000000000041885"
ZHURAVKA = "UA63080150160072530"


def test_a_spelling_of_another_alphabet_is_read_by_its_rules(small_gazetteer):
    # Hungarian writes с as sz: as written it sounds like nothing stored.
    result = resolve("Kupjanszk")
    assert result.outcome == RESOLVED, result.candidates
    assert result.area.code == KUPIANSK
    assert result.candidates[0].match == "reading"
    assert "Hungarian" in result.candidates[0].reasons[0]


def test_an_unlike_spelling_is_found_by_likeness_within_its_oblast(small_gazetteer):
    # Žuravka with its caron lost: no key, reading or typo range finds Журавка.
    result = resolve("Zuravka", within=KHARKIV_OBLAST)
    assert result.outcome == RESOLVED, result.candidates
    assert result.area.code == ZHURAVKA
    assert result.candidates[0].match == "fuzzy"
    assert "alike" in result.candidates[0].reasons[0]


def test_likeness_is_not_searched_without_a_context(small_gazetteer):
    assert resolve("Zuravka").outcome == NOT_FOUND


def test_two_places_equally_alike_are_ambiguous(small_gazetteer):
    # Two villages called Василівка in the oblast: a guess cannot tell them apart.
    result = resolve("Bazylivka", within=KHARKIV_OBLAST)
    assert result.outcome == AMBIGUOUS, result.candidates
    assert [c.area.name_uk for c in result.candidates[:2]] == ["Василівка", "Василівка"]
    assert {c.match for c in result.candidates[:2]} == {"fuzzy"}


def test_a_faint_likeness_is_listed_not_asserted(small_gazetteer):
    # Alike enough to list (Кіндрашівка), too little to answer for.
    result = resolve("Kandrasivska", within=KHARKIV_OBLAST)
    assert result.outcome == AMBIGUOUS, result.candidates
    assert result.area is None
    assert result.candidates and result.candidates[0].match == "fuzzy"


def test_a_lookup_by_likeness_runs_a_fixed_number_of_queries(small_gazetteer):
    oblast = Area.objects.get(code=KHARKIV_OBLAST)
    resolve("Zuravka", within=oblast)
    with CaptureQueriesContext(connection) as queries:
        resolve("Zuravka", within=oblast)
    # The spelling and its key, its readings, the typo range, the oblast's keys, their rows.
    assert len(queries) == 5, "\n".join(q["sql"] for q in queries)


def test_the_whole_country_is_no_context_for_likeness(small_gazetteer):
    assert resolve("Zuravka", within="UA").outcome == NOT_FOUND


def test_a_reading_of_a_name_many_places_share_needs_a_context(small_gazetteer):
    # Catalan for Shevchenkove (x is sh, tx is ch): six places in the slice.
    assert resolve("Xevtxenkove").outcome == AMBIGUOUS
    result = resolve("Xevtxenkove", within=KUPIANSK_RAION)
    assert result.area.code == SHEVCHENKOVE_SELYSHCHE
    assert result.candidates[0].match == "reading"
