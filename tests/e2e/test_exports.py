"""Exports as a humanitarian information manager reads them: HXL with libhxl, GeoJSON as GeoJSON.

Unknown (null), zero and withheld stay three different things, and "at least 2" keeps its
qualifier, in CSV and GeoJSON alike.
"""

import csv
import io

import hxl
import pytest

from tests.e2e.client import describe
from tests.e2e.data import OBLASTS, count_body, incident_body, settlement

pytestmark = pytest.mark.e2e


def oblast_code(client) -> str:
    page = client.json("GET", "/api/v1/areas/", params={"pcode": OBLASTS["exports"], "level": "oblast"})
    return page["results"][0]["code"]


@pytest.fixture(scope="module")
def facts(stack):
    """Incidents with 0, unknown and "at least 2" killed; counts with a small and an unknown
    number of children. Written by the coordinator and verified, so partners see them."""
    from tests.e2e.client import Client

    coordinator = Client(stack.base_url, stack.tokens["coordinator"])
    area = settlement(coordinator, "exports", 0)
    made = {}
    for name, figures in {
        "zero": {"fatalities": 0, "fatalities_qualifier": "exact"},
        "unknown": {"fatalities": None},
        "at_least": {"fatalities": 2, "fatalities_qualifier": "at_least"},
    }.items():
        body = incident_body(area, summary=f"Export check: {name}.", latitude=50.123, longitude=34.456, **figures)
        if figures["fatalities"] is None:
            body.pop("fatalities_qualifier")
        row = coordinator.json("POST", "/api/v1/incidents/", json_body=body, expect=201)
        coordinator.json("POST", f"/api/v1/incidents/{row['uid']}/verify/", json_body={"note": "ok"})
        made[name] = row["uid"]
    for name, children in {"small": 5, "no_children": None, "many": 400}.items():
        body = count_body(settlement(coordinator, "exports", {"small": 1, "no_children": 2, "many": 3}[name]),
                          total=1000, children=children, summary=f"Export check: {name}.")  # fmt: skip
        if children is not None:
            body["children_qualifier"] = "exact"
        made[name] = coordinator.json("POST", "/api/v1/population-counts/", json_body=body, expect=201)["uid"]
    made["oblast"] = oblast_code(coordinator)
    return made


def export(client, resource: str, fmt: str, **params):
    response = client.get(f"/api/v1/{resource}/export/", params={"format": fmt, **params})
    assert response.status_code == 200, describe(response)
    return response


def hxl_rows(response) -> tuple[hxl.Dataset, list[dict]]:
    """The export parsed by libhxl, and its rows as {column header: value}."""
    dataset = hxl.data(io.BytesIO(response.content))
    headers = [column.header for column in dataset.columns]
    return dataset, [dict(zip(headers, row.values, strict=True)) for row in dataset]


def tagged(dataset, tag: str, *attributes: str) -> str:
    """The header of the column with this hashtag and attributes."""
    for column in dataset.columns:
        if column.tag == tag and set(attributes) <= column.attributes:
            return column.header
    raise AssertionError(f"no {tag}+{'+'.join(attributes)} column: {[str(c) for c in dataset.columns]}")


def test_incident_csv_is_hxl_with_admin_codes_qualifiers_and_precision(facts, partner):
    dataset, rows = hxl_rows(export(partner, "incidents", "csv", within=facts["oblast"]))
    for tag, attributes in [("#adm1", ["code"]), ("#adm2", ["code"]), ("#adm2", ["name"]), ("#adm3", ["code"]),
                            ("#date", ["occurred"]), ("#date", ["occurred", "precision"]),
                            ("#affected", ["killed"]), ("#affected", ["killed", "qualifier"])]:  # fmt: skip
        tagged(dataset, tag, *attributes)
    killed, qualifier = tagged(dataset, "#affected", "killed"), tagged(dataset, "#affected", "killed", "qualifier")
    by_uid = {row[tagged(dataset, "#event", "id")]: row for row in rows}
    assert by_uid[facts["zero"]][killed] == "0"
    assert by_uid[facts["unknown"]][killed] == ""
    assert (by_uid[facts["at_least"]][killed], by_uid[facts["at_least"]][qualifier]) == ("2", "at_least")
    assert by_uid[facts["zero"]][tagged(dataset, "#adm1", "code")] == OBLASTS["exports"]


def test_incident_geojson_is_a_feature_collection_in_lon_lat(facts, partner):
    collection = export(partner, "incidents", "geojson", within=facts["oblast"]).json()
    assert collection["type"] == "FeatureCollection"
    features = {f["properties"]["uid"]: f for f in collection["features"]}
    for name in ("zero", "unknown", "at_least"):
        feature = features[facts[name]]
        assert feature["type"] == "Feature"
        assert feature["geometry"] == {"type": "Point", "coordinates": [34.456, 50.123]}
    assert features[facts["zero"]]["properties"]["fatalities"] == 0
    assert features[facts["unknown"]]["properties"]["fatalities"] is None
    at_least = features[facts["at_least"]]["properties"]
    assert (at_least["fatalities"], at_least["fatalities_qualifier"]) == (2, "at_least")


def test_withheld_children_are_marked_not_blank_in_csv(facts, partner):
    dataset, rows = hxl_rows(export(partner, "population-counts", "csv", within=facts["oblast"]))
    children, uid = tagged(dataset, "#population", "children"), tagged(dataset, "#meta", "id")
    assert "withheld" in [column.header for column in dataset.columns]
    by_uid = {row[uid]: row for row in rows}
    small, unknown, many = by_uid[facts["small"]], by_uid[facts["no_children"]], by_uid[facts["many"]]
    assert small[children] == "" and "children" in small["withheld"]
    assert unknown[children] == "" and "children" not in unknown["withheld"]
    assert many[children] == "400" and "children" not in many["withheld"]


def test_withheld_children_are_marked_in_geojson(facts, partner, coordinator):
    for client, hidden in ((partner, True), (coordinator, False)):
        collection = export(client, "population-counts", "geojson", within=facts["oblast"]).json()
        properties = {f["properties"]["uid"]: f["properties"] for f in collection["features"]}
        small, unknown = properties[facts["small"]], properties[facts["no_children"]]
        assert (small["children"] is None) is hidden and ("children" in small["withheld"]) is hidden
        assert unknown["children"] is None and "children" not in unknown["withheld"]


def test_area_geojson_points_are_lon_lat(stack, partner):
    kupiansk = partner.json("GET", "/api/v1/areas/UA63080090010026457/")
    collection = export(partner, "areas", "geojson", pcode="UA6308009001").json()
    (feature,) = collection["features"]
    assert feature["geometry"]["coordinates"] == [kupiansk["longitude"], kupiansk["latitude"]]
    assert 49 < kupiansk["latitude"] < 50 and 37 < kupiansk["longitude"] < 38


def test_csv_hashtag_row_is_the_second_row(partner, facts):
    reader = csv.reader(io.StringIO(export(partner, "areas", "csv", within=facts["oblast"], level="oblast").text))
    header, hashtags, *rows = list(reader)
    assert len(header) == len(hashtags) and all(tag.startswith("#") for tag in hashtags)
    assert len(rows) == 1
