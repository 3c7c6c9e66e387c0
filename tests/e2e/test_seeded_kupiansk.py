"""After setup the article seeds tell Kupiansk's story: ordered out, with a dated history."""

import pytest

from tests.e2e.data import KUPIANSK_CITY

pytestmark = pytest.mark.e2e


def test_kupiansk_is_found_by_name(partner):
    rows = partner.json("GET", "/api/v1/areas/", params={"q": "Kupiansk"})["results"]
    assert KUPIANSK_CITY in {row["code"] for row in rows}


def test_kupiansk_is_evacuation_mandatory(partner):
    status = partner.json("GET", f"/api/v1/areas/{KUPIANSK_CITY}/status/")
    assert status["level"] == "evacuation_mandatory", status
    assert status["reasons"], status


def test_kupiansk_history_is_dated_in_2022_and_2023(partner):
    first = partner.json("GET", f"/api/v1/areas/{KUPIANSK_CITY}/history/")
    # Whether or not the timeline is paginated, its dates are under test here.
    changes = first if isinstance(first, list) else partner.all_pages(f"/api/v1/areas/{KUPIANSK_CITY}/history/")
    assert changes, "empty history"
    years = {change["as_of"][:4] for change in changes}
    assert {"2022", "2023"} <= years, sorted(years)
    assert [c["as_of"] for c in changes] == sorted(c["as_of"] for c in changes)


def test_kupiansk_history_is_paginated(partner):
    page = partner.json("GET", f"/api/v1/areas/{KUPIANSK_CITY}/history/", params={"limit": 1})
    assert isinstance(page, dict) and set(page) >= {"results", "next"}, str(page)[:300]
    assert len(page["results"]) == 1 and page["next"]
    second = partner.json("GET", page["next"])
    assert second["results"] and second["results"][0] != page["results"][0]


KUPIANSK_RAION = "UA63080000000032022"


def test_kupiansk_raion_in_august_2023_says_how_many_settlements_must_leave(partner):
    status = partner.json("GET", f"/api/v1/areas/{KUPIANSK_RAION}/status/", params={"as_of": "2023-08-15"})
    mandatory = status["distribution"]["evacuation_mandatory"]
    assert mandatory["settlements"] >= 1, status["distribution"]
    assert status["sentence"].startswith("Mandatory evacuation in "), status["sentence"]


def test_ukraine_leads_with_the_spread_not_the_worst_village(partner):
    status = partner.json("GET", "/api/v1/areas/UA/status/")
    total = sum(entry["settlements"] for entry in status["distribution"].values())
    assert total > 25_000
    assert "settlements" in status["sentence"].split(".")[0] and f"{total:,}" in status["sentence"]
