"""Exports keep what a value means: its qualifier, its date's precision, the oblast and raion it
lies in, and whether it is unknown (empty / null), zero, or withheld from the caller (empty / null
with the field named in the row's `withheld` column). CSV read with HXL's own library; GeoJSON
carries the same names and values."""

import datetime
import io
import json

import hxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evactrack.access.choices import Role
from locations.services import area_upsert
from reports.services import incident_review
from tests.factories import IncidentFactory, PopulationCountFactory

pytestmark = pytest.mark.django_db


def body_of(response) -> bytes:
    assert response.status_code == 200, response.content
    assert response.streaming
    return b"".join(response.streaming_content)


def hxl_rows(body: bytes) -> list[dict]:
    """Each data row as {hashtag with attributes: value}; exact tags, since an HXL pattern such
    as #affected+killed also matches #affected+killed+qualifier."""
    dataset = hxl.data(hxl.input.make_input(io.BytesIO(body)))
    tags = [column.display_tag for column in dataset.columns]
    assert len(tags) == len(set(tags)), tags
    return [dict(zip(tags, row.values, strict=True)) for row in dataset]


def features_of(body: bytes) -> list[dict]:
    collection = json.loads(body)
    assert collection["type"] == "FeatureCollection"
    return collection["features"]


@pytest.fixture
def kupiansk(db):
    """A settlement under an oblast and a raion that carry P-codes and English names."""
    country, _ = area_upsert(code="UA", name_uk="Україна", name_en="Ukraine", category="country")
    oblast, _ = area_upsert(
        code="UA97000000000000001", name_uk="Харківська", name_en="Kharkivska", category="oblast", parent=country,
        pcode="UA97",
    )  # fmt: skip
    raion, _ = area_upsert(
        code="UA97020000000000002", name_uk="Купʼянський", name_en="Kupianskyi", category="raion", parent=oblast,
        pcode="UA9702",
    )  # fmt: skip
    hromada, _ = area_upsert(
        code="UA97020030000000003", name_uk="Купʼянська", name_en="Kupianska", category="hromada", parent=raion,
        pcode="UA9702003",
    )  # fmt: skip
    settlement, _ = area_upsert(
        code="UA97020030010000004", name_uk="Купʼянськ", name_en="Kupiansk", category="city", parent=hromada,
        pcode="UA9702003001", latitude=49.71, longitude=37.61,
    )  # fmt: skip
    return settlement


def test_incident_csv_keeps_qualifier_precision_and_admin_units(coordinator, kupiansk):
    IncidentFactory(
        area=kupiansk, fatalities=2, fatalities_qualifier="at_least", injured=0, injured_qualifier="exact",
        occurred_on=datetime.date(2023, 8, 1), occurred_on_precision="month",
    )  # fmt: skip
    body = body_of(coordinator.get(reverse("api:incident-export") + "?format=csv"))
    [row] = hxl_rows(body)
    assert row["#affected+killed"] == "2" and row["#affected+killed+qualifier"] == "at_least"
    assert row["#affected+injured"] == "0" and row["#affected+injured+qualifier"] == "exact"
    # Unknown stays empty, with no qualifier.
    assert row["#affected+killed+children"] == "" and row["#affected+killed+children+qualifier"] == ""
    assert row["#date+occurred"] == "2023-08-01" and row["#date+occurred+precision"] == "month"
    assert (row["#adm1+code"], row["#adm1+name"]) == ("UA97", "Kharkivska")
    assert (row["#adm2+code"], row["#adm2+name"]) == ("UA9702", "Kupianskyi")
    assert row["#adm3+code"] == "UA9702003"
    assert row["#meta+withheld"] == ""


def test_incident_geojson_carries_the_csv_columns(coordinator, kupiansk):
    IncidentFactory(area=kupiansk, fatalities=2, fatalities_qualifier="at_least", occurred_on_precision="week")
    url = reverse("api:incident-export")
    header = body_of(coordinator.get(url + "?format=csv")).decode().splitlines()[0].split(",")
    [feature] = features_of(body_of(coordinator.get(url + "?format=geojson")))
    properties = feature["properties"]
    assert list(properties) == header
    assert properties["fatalities"] == 2 and properties["fatalities_qualifier"] == "at_least"
    assert properties["injured"] is None and properties["injured_qualifier"] == ""
    assert properties["occurred_on_precision"] == "week"
    assert properties["adm2_pcode"] == "UA9702" and properties["adm2_name"] == "Kupianskyi"
    assert properties["withheld"] == ""


def test_admin_units_of_an_area_without_its_own_pcode(coordinator, kupiansk):
    """City districts have no P-code: their oblast and raion still give theirs."""
    district, _ = area_upsert(
        code="UA97020030010100005", name_uk="Район", name_en="District", category="city_district", parent=kupiansk
    )
    IncidentFactory(area=district)
    [row] = hxl_rows(body_of(coordinator.get(reverse("api:incident-export"))))
    assert (row["#adm1+code"], row["#adm2+code"], row["#adm3+code"]) == ("UA97", "UA9702", "")


def test_withheld_point_is_named_and_unlike_an_unknown_point(api, kupiansk, own_org, other_org, staff_user):
    for org, latitude in ((other_org, 49.7), (own_org, 49.8), (other_org, None)):
        made = IncidentFactory(
            area=kupiansk, reporting_organization=org, facility_type="shelter", latitude=latitude,
            longitude=None if latitude is None else 37.6, geo_precision="exact" if latitude else "admin_area",
        )  # fmt: skip
        incident_review(incident=made, state="verified", actor=staff_user)
    partner = api(Role.PARTNER)
    url = reverse("api:incident-export")
    rows = hxl_rows(body_of(partner.get(url)))
    seen = sorted((r["#org+reporting"], r["#geo+lat"], r["#geo+lon"], r["#meta+withheld"]) for r in rows)
    assert seen == [
        ("other-org", "", "", ""),  # no point known
        ("other-org", "", "", "latitude longitude"),  # a shelter's point, withheld
        ("own-org", "49.8", "37.6", ""),
    ]
    features = features_of(body_of(partner.get(url + "?format=geojson")))
    hidden = [f for f in features if f["properties"]["withheld"]]
    assert len(hidden) == 1 and hidden[0]["geometry"] is None
    assert hidden[0]["properties"]["latitude"] is None and hidden[0]["properties"]["withheld"] == "latitude longitude"
    # Coordinators see every point.
    full = hxl_rows(body_of(api(Role.COORDINATOR).get(url)))
    assert sorted(r["#geo+lat"] for r in full) == ["", "49.7", "49.8"]
    assert {r["#meta+withheld"] for r in full} == {""}


def counts_by_date(rows) -> dict:
    return {
        r["#date+reported"]: (r["#population+children"], r["#population+children+qualifier"], r["#meta+withheld"])
        for r in rows
    }


def test_child_counts_withheld_unknown_and_zero_are_told_apart(api, kupiansk):
    for day, children in ((1, 7), (2, None), (3, 0), (4, 30)):
        PopulationCountFactory(
            area=kupiansk, reference_date=datetime.date(2022, 1, day), total=1000, children=children,
            children_qualifier="" if children is None else "at_most",
        )  # fmt: skip
    url = reverse("api:population-count-export")
    as_partner = counts_by_date(hxl_rows(body_of(api(Role.PARTNER).get(url))))
    assert as_partner == {
        "2022-01-01": ("", "", "children"),  # small: withheld
        "2022-01-02": ("", "", ""),  # unknown
        "2022-01-03": ("", "", "children"),  # zero is a small count too
        "2022-01-04": ("30", "at_most", ""),
    }
    as_coordinator = counts_by_date(hxl_rows(body_of(api(Role.COORDINATOR).get(url))))
    assert as_coordinator["2022-01-01"] == ("7", "at_most", "")
    assert as_coordinator["2022-01-02"] == ("", "", "")
    assert as_coordinator["2022-01-03"] == ("0", "at_most", "")
    features = features_of(body_of(api(Role.PARTNER).get(url + "?format=geojson")))
    by_date = {f["properties"]["reference_date"]: f["properties"] for f in features}
    assert by_date["2022-01-01"]["children"] is None and by_date["2022-01-01"]["withheld"] == "children"
    assert by_date["2022-01-02"]["children"] is None and by_date["2022-01-02"]["withheld"] == ""
    assert by_date["2022-01-04"]["children"] == 30
    assert by_date["2022-01-01"]["adm2_name"] == "Kupianskyi"
    assert features[0]["geometry"] == {"type": "Point", "coordinates": [37.61, 49.71]}


def test_population_csv_has_precision_qualifiers_and_point(coordinator, kupiansk):
    PopulationCountFactory(area=kupiansk, total=25000, total_qualifier="approximate", reference_date_precision="year")
    [row] = hxl_rows(body_of(coordinator.get(reverse("api:population-count-export"))))
    assert (row["#population+total"], row["#population+total+qualifier"]) == ("25000", "approximate")
    assert row["#date+reported+precision"] == "year"
    assert (row["#adm1+name"], row["#adm2+code"], row["#geo+lat"]) == ("Kharkivska", "UA9702", "49.71")


def test_area_export_names_oblast_and_raion(viewer, kupiansk):
    rows = {r["#loc+code"]: r for r in hxl_rows(body_of(viewer.get(reverse("api:area-export"))))}
    settlement, oblast = rows[kupiansk.code], rows["UA97000000000000001"]
    assert (settlement["#adm1+code"], settlement["#adm1+name"]) == ("UA97", "Kharkivska")
    assert (settlement["#adm2+code"], settlement["#adm2+name"]) == ("UA9702", "Kupianskyi")
    assert settlement["#loc+code+parent"] == "UA97020030000000003"
    # An oblast is its own adm1 and has no raion.
    assert (oblast["#adm1+code"], oblast["#adm2+code"], oblast["#adm3+code"]) == ("UA97", "", "")
    [feature] = [
        f for f in features_of(body_of(viewer.get(reverse("api:area-export") + "?format=geojson")))
        if f["properties"]["code"] == kupiansk.code
    ]  # fmt: skip
    assert feature["properties"]["adm2_name"] == "Kupianskyi" and feature["properties"]["withheld"] == ""


@pytest.mark.parametrize("export", ["api:incident-export", "api:population-count-export", "api:area-export"])
def test_export_queries_do_not_grow_with_rows(coordinator, kupiansk, export):
    def queries_for_export() -> list[str]:
        with CaptureQueriesContext(connection) as captured:
            body_of(coordinator.get(reverse(export)))
        return [q["sql"] for q in captured.captured_queries]

    IncidentFactory(area=kupiansk)
    PopulationCountFactory(area=kupiansk)
    queries_for_export()  # the token's first use is recorded once
    one = queries_for_export()
    for day in range(2, 22):
        IncidentFactory(area=kupiansk)
        PopulationCountFactory(area=kupiansk, reference_date=datetime.date(2022, 1, day))
        area_upsert(code=f"UA970200300100{day:05d}", name_uk=f"Село {day}", category="village", parent=kupiansk.parent)
    many = queries_for_export()
    assert len(many) == len(one), "\n".join(many)
