"""GET/POST /api/v1/areas/resolve/: the gazetteer's resolver as partners reach it."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from locations.models import Area
from locations.resolver import resolve
from tests.locations.conftest import small_gazetteer  # noqa: F401 - a fixture

pytestmark = pytest.mark.django_db

URL = "/api/v1/areas/resolve/"
KUPIANSK = "UA63080090010026457"
KHARKIV_OBLAST = "UA63000000000041885"
KUPIANSK_RAION = "UA63080000000032022"
SHEVCHENKOVE_SELYSHCHE = "UA63080150010082504"
# Spellings, Russian forms, context and the queries that must stay ambiguous or unknown.
ASKED = [
    {"q": "Kupyansk"},
    {"q": "Купянск"},
    {"q": "Kharkov"},
    {"q": "Kupiansk raion"},
    {"q": "Shevchenkove"},
    {"q": "Shevchenkove, Kupiansk raion"},
    {"q": "Shevchenkove", "within": "UA63"},
    {"q": "Vasylivka"},
    {"q": "Nowhere-on-Sea"},
]


def _resolver_answer(item):
    within = Area.objects.get(pcode=item["within"]) if "within" in item else None
    result = resolve(item["q"], within=within)
    return result.outcome, [candidate.area.code for candidate in result.candidates]


@pytest.mark.parametrize("item", ASKED, ids=[str(item) for item in ASKED])
def test_the_endpoint_answers_as_the_resolver_does(small_gazetteer, viewer, item):  # noqa: F811
    answer = viewer.get(URL, item)
    assert answer.status_code == 200, answer.json()
    body = answer.json()
    assert (body["outcome"], [c["code"] for c in body["candidates"]]) == _resolver_answer(item)
    assert body["q"] == item["q"]


def test_a_candidate_carries_its_place_in_the_tree_and_why_it_ranks(small_gazetteer, viewer):  # noqa: F811
    body = viewer.get(URL, {"q": "Kupyansk"}).json()
    assert body["outcome"] == "resolved"
    best = body["candidates"][0]
    assert best["code"] == KUPIANSK
    assert best["level"] == "settlement"
    assert [step["code"] for step in best["path"]] == [KHARKIV_OBLAST, KUPIANSK_RAION, "UA63080090000067457"]
    assert best["path"][0]["name_en"] and best["path"][0]["name_uk"]
    assert "population 27,169" in best["reason"]
    assert best["matched"] and best["match"]
    assert best["score"] > body["candidates"][1]["score"]


def test_context_level_near_and_limit_narrow_the_answer(small_gazetteer, viewer):  # noqa: F811
    assert viewer.get(URL, {"q": "Shevchenkove"}).json()["outcome"] == "ambiguous"
    within = viewer.get(URL, {"q": "Shevchenkove", "within": KUPIANSK_RAION}).json()
    assert (within["outcome"], within["candidates"][0]["code"]) == ("resolved", SHEVCHENKOVE_SELYSHCHE)
    raions = viewer.get(URL, {"q": "Kupiansk", "level": "raion,hromada"}).json()["candidates"]
    assert {c["level"] for c in raions} == {"raion", "hromada"}
    repeated = viewer.get(f"{URL}?q=Kupiansk&level=raion&level=hromada").json()["candidates"]
    assert [c["code"] for c in repeated] == [c["code"] for c in raions]
    assert len(viewer.get(URL, {"q": "Kupiansk", "limit": 1}).json()["candidates"]) == 1
    near = viewer.get(URL, {"q": "Shevchenkove", "near": "49.69,37.17"}).json()
    assert near["candidates"][0]["code"] == SHEVCHENKOVE_SELYSHCHE
    assert "km from the given point" in near["candidates"][0]["reason"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "q"),
        ({"q": ""}, "q"),
        ({"q": "x" * 201}, "q"),
        ({"q": "Kupiansk", "within": "UA99"}, "within"),
        ({"q": "Kupiansk", "near": "49.7"}, "near"),
        ({"q": "Kupiansk", "near": "91,37"}, "near"),
        ({"q": "Kupiansk", "level": "planet"}, "level.0"),
        ({"q": "Kupiansk", "limit": 51}, "limit"),
        ({"q": "Kupiansk", "limit": "ten"}, "limit"),
    ],
)
def test_bad_queries_name_the_field(small_gazetteer, viewer, params, field):  # noqa: F811
    answer = viewer.get(URL, params)
    assert answer.status_code == 400
    body = answer.json()
    assert body["code"] == "invalid"
    assert field in body["fields"], body


def test_a_batch_is_answered_in_order_in_a_bounded_number_of_queries(small_gazetteer, viewer):  # noqa: F811
    items = ASKED * 20
    with CaptureQueriesContext(connection) as queries:
        answer = viewer.post(URL, items, format="json")
    assert answer.status_code == 200, answer.json()
    results = answer.json()["results"]
    assert [r["q"] for r in results] == [item["q"] for item in items]
    expected = {str(item): _resolver_answer(item) for item in ASKED}
    for item, result in zip(items, results, strict=True):
        assert (result["outcome"], [c["code"] for c in result["candidates"]]) == expected[str(item)]
    # The ancestors of every candidate come in one query, not one per item.
    ancestor_reads = [q for q in queries.captured_queries if 'WHERE "locations_area"."code" IN' in q["sql"]]
    assert len(ancestor_reads) == 1


@pytest.mark.parametrize(
    "body",
    [{"q": "Kupiansk"}, [], [{"q": "Kupiansk"}] * 1001, "Kupiansk"],
    ids=["an object", "empty", "too many", "a string"],
)
def test_a_batch_must_be_a_list_of_1_to_1000_items(small_gazetteer, viewer, body):  # noqa: F811
    answer = viewer.post(URL, body, format="json")
    assert answer.status_code == 400
    assert "non_field_errors" in answer.json()["fields"]


def test_a_batch_with_bad_items_names_each_by_index_and_answers_none(small_gazetteer, viewer):  # noqa: F811
    answer = viewer.post(
        URL, [{"q": "Kupiansk"}, {"q": "Kupiansk", "within": "UA99"}, {"within": "UA63"}, 7], format="json"
    )
    assert answer.status_code == 400
    rows = answer.json()["rows"]
    assert set(rows) == {"1", "2", "3"}
    assert "within" in rows["1"] and "q" in rows["2"] and "non_field_errors" in rows["3"]


def test_nul_characters_are_refused_by_name(small_gazetteer, viewer):  # noqa: F811
    assert viewer.get(URL, {"q": "Kupi\x00ansk"}).status_code == 400
    answer = viewer.post(URL, [{"q": "Kupi\x00ansk"}], format="json")
    assert answer.status_code == 400
    assert "q" in answer.json()["rows"]["0"]


def test_every_role_may_resolve_and_strangers_may_not(small_gazetteer, viewer, partner):  # noqa: F811
    assert partner.post(URL, [{"q": "Kupiansk"}], format="json").status_code == 200
    assert viewer.post(URL, [{"q": "Kupiansk"}], format="json").status_code == 200
    assert APIClient().get(URL, {"q": "Kupiansk"}).status_code == 401
    assert APIClient().post(URL, [{"q": "Kupiansk"}], format="json").status_code == 401


def test_resolve_is_not_taken_for_an_area_code(small_gazetteer, viewer):  # noqa: F811
    # The router puts list actions before the detail route, whose code pattern "resolve" fits.
    answer = viewer.get(URL, {"q": "Kupiansk"})
    assert answer.status_code == 200
    assert "outcome" in answer.json()


# The area list's `q`: one ranked page, narrowed before the cut, and honest about a cut.

AREAS = "/api/v1/areas/"


def test_a_search_lists_the_best_match_first(small_gazetteer, viewer):  # noqa: F811
    page = viewer.get(AREAS, {"q": "Kupyansk"}).json()
    assert page["ranked"] is True and page["next"] is None
    assert [row["code"] for row in page["results"]][:3] == _resolver_answer({"q": "Kupyansk"})[1][:3]
    assert page["results"][0]["code"] == KUPIANSK


def test_a_search_within_an_area_narrows_before_the_cut(small_gazetteer, viewer):  # noqa: F811
    everywhere = viewer.get(AREAS, {"q": "Shevchenkove", "limit": 1000}).json()["results"]
    inside = [row["code"] for row in everywhere if row["code"].startswith("UA63")]
    page = viewer.get(AREAS, {"q": "Shevchenkove", "within": "UA63", "limit": 1}).json()
    assert page["results"][0]["code"] in inside
    assert page["truncated"] is (len(inside) > 1)
    whole = viewer.get(AREAS, {"q": "Shevchenkove", "within": "UA63", "limit": 1000}).json()
    assert sorted(row["code"] for row in whole["results"]) == sorted(inside)
    assert whole["truncated"] is False


def test_a_cut_search_says_so(small_gazetteer, viewer):  # noqa: F811
    whole = viewer.get(AREAS, {"q": "Shevchenkove", "limit": 1000}).json()
    assert len(whole["results"]) >= 2 and whole["truncated"] is False
    cut = viewer.get(AREAS, {"q": "Shevchenkove", "limit": len(whole["results"]) - 1}).json()
    assert cut["truncated"] is True
    assert [row["code"] for row in cut["results"]] == [row["code"] for row in whole["results"]][:-1]


def test_a_search_filtered_by_level_keeps_only_that_level(small_gazetteer, viewer):  # noqa: F811
    rows = viewer.get(AREAS, {"q": "Kupiansk", "level": "raion"}).json()["results"]
    assert [row["code"] for row in rows] == [KUPIANSK_RAION]


def test_a_search_takes_no_cursor(small_gazetteer, viewer):  # noqa: F811
    answer = viewer.get(AREAS, {"q": "Kupiansk", "cursor": "cD0x"})
    assert answer.status_code == 400
    assert "cursor" in answer.json()["fields"]


def test_a_search_count_at_the_candidate_cap_is_a_lower_bound(small_gazetteer, viewer, monkeypatch):  # noqa: F811
    whole = viewer.get(AREAS, {"q": "Shevchenkove", "count": "true"}).json()
    assert whole["count"] == len(whole["results"]) and whole["count_is_lower_bound"] is False
    monkeypatch.setattr("locations.filtersets.SEARCH_CANDIDATES_MAX", 2)
    capped = viewer.get(AREAS, {"q": "Shevchenkove", "count": "true"}).json()
    assert (capped["count"], capped["count_is_lower_bound"]) == (2, True)
