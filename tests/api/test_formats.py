"""Exports: CSV with an HXL hashtag row that HXL's own library reads, and GeoJSON."""

import io
import json

import hxl
import pytest
from django.urls import reverse

from tests.factories import IncidentFactory, PopulationCountFactory

pytestmark = pytest.mark.django_db


def body_of(response) -> bytes:
    assert response.status_code == 200, response.content
    assert response.streaming
    return b"".join(response.streaming_content)


def test_incident_csv_parses_as_hxl(coordinator, area):
    IncidentFactory(
        area=area, fatalities=2, fatalities_qualifier="exact", children_killed=1, children_killed_qualifier="exact"
    )
    IncidentFactory(area=area)  # unknown figures stay empty, never 0
    text = body_of(coordinator.get(reverse("api:incident-export") + "?format=csv")).decode()
    dataset = hxl.data(io.BytesIO(text.encode()))
    tags = [column.display_tag for column in dataset.columns]
    for tag in ("#adm1+code", "#adm3+code", "#loc+name", "#date+occurred", "#event+type", "#affected+killed"):
        assert tag in tags
    rows = list(dataset)
    assert len(rows) == 2
    killed = sorted(row.get("#affected+killed") or "" for row in rows)
    assert killed == ["", "2"]
    # adm1 and adm2 are the oblast's and raion's own P-codes (test_exports_meaning); adm3 is a
    # prefix of the area's.
    assert {row.get("#adm3+code") for row in rows} == {"UA9801001"}


def test_population_csv_parses_as_hxl(coordinator, area):
    PopulationCountFactory(area=area, total=25000, total_qualifier="approximate")
    text = body_of(coordinator.get(reverse("api:population-count-export"))).decode()
    dataset = hxl.data(io.BytesIO(text.encode()))
    assert [row.get("#population+total") for row in dataset] == ["25000"]


def test_area_csv_and_geojson(viewer, area):
    text = body_of(viewer.get(reverse("api:area-export") + "?level=settlement")).decode()
    dataset = hxl.data(io.BytesIO(text.encode()))
    assert [row.get("#loc+code") for row in dataset] == [area.code]
    collection = json.loads(body_of(viewer.get(reverse("api:area-export") + "?format=geojson")))
    assert collection["type"] == "FeatureCollection"
    assert {f["properties"]["code"] for f in collection["features"]} >= {area.code, "UA"}


def test_incident_geojson(coordinator, area):
    IncidentFactory(area=area, latitude=49.7, longitude=37.6, geo_precision="exact")
    IncidentFactory(area=area)
    collection = json.loads(body_of(coordinator.get(reverse("api:incident-export") + "?format=geojson")))
    assert collection["type"] == "FeatureCollection"
    geometries = sorted((f["geometry"] or {}).get("coordinates", [0])[0] for f in collection["features"])
    assert geometries == [0, 37.6]


def test_export_honours_filters_and_visibility(partner, area, other_org):
    IncidentFactory(area=area, reporting_organization=other_org)  # unverified, not partner's
    text = body_of(partner.get(reverse("api:incident-export"))).decode()
    assert len(text.strip().splitlines()) == 2  # header and hashtags only


def test_export_bad_format_is_400_json(viewer):
    response = viewer.get(reverse("api:incident-export") + "?format=xlsx", HTTP_ACCEPT="text/csv")
    assert response.status_code == 400 and response.json()["fields"]["format"]
