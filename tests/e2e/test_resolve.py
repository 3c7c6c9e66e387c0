"""The resolver as a partner cleaning a spreadsheet of place names reaches it: over HTTP, against
the full gazetteer the setup imported."""

import pytest

from tests.e2e.data import KUPIANSK_CITY

pytestmark = pytest.mark.e2e

KHARKIV_CITY = "UA63120270010096107"
BAKHMUT = "UA14020010010059145"
SHEVCHENKOVE_KUPIANSK_RAION = "UA63080150010082504"
# The schema's examples, each with what a coordinator would call the right answer.
EXPECTED = {
    "Kupyansk": ("resolved", KUPIANSK_CITY),
    "Kharkov": ("resolved", KHARKIV_CITY),
    "Artemivsk": ("resolved", BAKHMUT),
    "Shevchenkove, Kupiansk raion": ("resolved", SHEVCHENKOVE_KUPIANSK_RAION),
}


@pytest.mark.parametrize("text", sorted(EXPECTED))
def test_news_spellings_resolve_to_the_place(partner, text):
    body = partner.json("GET", "/api/v1/areas/resolve/", params={"q": text})
    assert (body["outcome"], body["candidates"][0]["code"]) == EXPECTED[text], body["candidates"][:2]
    assert body["candidates"][0]["path"][0]["code"].startswith("UA")


def test_a_name_many_villages_share_is_ambiguous_without_context(partner):
    body = partner.json("GET", "/api/v1/areas/resolve/", params={"q": "Shevchenkove", "limit": 50})
    assert body["outcome"] == "ambiguous"
    assert len(body["candidates"]) == 50
    within = partner.json("GET", "/api/v1/areas/resolve/", params={"q": "Shevchenkove", "within": "UA6308"})
    assert within["candidates"] and all(c["path"][1]["code"] == "UA63080000000032022" for c in within["candidates"])


def test_a_spreadsheet_of_names_is_answered_in_order(partner):
    items = [{"q": text} for text in EXPECTED] * 250
    results = partner.json("POST", "/api/v1/areas/resolve/", json_body=items)["results"]
    assert [(r["outcome"], r["candidates"][0]["code"]) for r in results] == [EXPECTED[i["q"]] for i in items]


def test_the_area_search_never_cuts_silently(partner):
    # Every settlement of the name, the country over and inside one oblast, as the list of
    # settlements by name (a plain filter) finds them.
    named = {
        row["code"]
        for row in partner.all_pages("/api/v1/areas/", params={"level": "settlement", "limit": 1000})
        if row["name_en"] == "Shevchenkove"
    }
    assert len(named) > 50
    page = partner.json("GET", "/api/v1/areas/", params={"q": "Shevchenkove", "limit": 1000})
    assert page["truncated"] is False
    assert named <= {row["code"] for row in page["results"]}
    inside = partner.json("GET", "/api/v1/areas/", params={"q": "Shevchenkove", "within": "UA63", "limit": 1000})
    settlements = {row["code"]: row["name_en"] for row in inside["results"] if row["level"] == "settlement"}
    # Every one of the name in the oblast; besides them only places whose name starts with it
    # (Shevchenkove Druhe), which a search box offers too, and nothing outside the oblast.
    assert {code for code in named if code.startswith("UA63")} <= settlements.keys()
    assert all(code.startswith("UA63") and name.startswith("Shevchenkove") for code, name in settlements.items())
