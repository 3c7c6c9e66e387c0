"""Every time the API gives is UTC, written with `Z`: one convention a partner can parse."""

import datetime
import re

import pytest

from tests.e2e.client import describe
from tests.e2e.data import KUPIANSK_CITY, incident_body, settlement, source_body

pytestmark = pytest.mark.e2e

DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def datetimes_in(value, where="") -> list[tuple[str, str]]:
    """(JSON path, text) of every date-time string anywhere in a JSON value."""
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in datetimes_in(item, f"{where}.{key}")]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in datetimes_in(item, f"{where}[{index}]")]
    return [(where, value)] if isinstance(value, str) and DATETIME.match(value) else []


@pytest.fixture(scope="module")
def written(stack):
    """A source, a reviewed incident and a deletion, so every kind of time has a value."""
    from tests.e2e.client import Client

    partner = Client(stack.base_url, stack.tokens["partner"])
    coordinator = Client(stack.base_url, stack.tokens["coordinator"])
    source = partner.json("POST", "/api/v1/sources/", json_body=source_body(), expect=201)
    area = settlement(partner, "times", 0)
    reviewed = partner.json("POST", "/api/v1/incidents/", json_body=incident_body(area), expect=201)
    coordinator.json("POST", f"/api/v1/incidents/{reviewed['uid']}/verify/", json_body={"note": "ok"})
    gone = partner.json("POST", "/api/v1/incidents/", json_body=incident_body(area), expect=201)
    assert partner.delete(f"/api/v1/incidents/{gone['uid']}/").status_code == 204
    return {"source": source["slug"], "incident": reviewed["uid"], "area": area}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/sources/",
        "/api/v1/sources/{source}/",
        "/api/v1/deletions/",
        "/api/v1/incidents/",
        "/api/v1/incidents/{incident}/",
        "/api/v1/orders/",
        "/api/v1/population-counts/",
        "/api/v1/areas/?updated_since=2020-01-01T00:00:00Z",
        f"/api/v1/areas/{KUPIANSK_CITY}/",
        f"/api/v1/areas/{KUPIANSK_CITY}/status/",
        f"/api/v1/areas/{KUPIANSK_CITY}/history/",
    ],
)
def test_every_time_is_utc_with_z(written, coordinator, path):
    response = coordinator.get(path.format(**written))
    assert response.status_code == 200, describe(response)
    found = datetimes_in(response.json())
    assert found, f"no date-time in {path}: {response.text[:300]}"
    wrong = [(where, text) for where, text in found if not text.endswith("Z")]
    assert not wrong, f"{path}: {wrong[:5]}"
    for _where, text in found:
        assert datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).utcoffset() == datetime.timedelta(0)


def test_updated_since_takes_a_z_time_and_an_offset_alike(written, coordinator):
    source = coordinator.json("GET", f"/api/v1/sources/{written['source']}/")
    stamp = datetime.datetime.fromisoformat(source["updated_at"].replace("Z", "+00:00"))
    in_kyiv = stamp.astimezone(datetime.timezone(datetime.timedelta(hours=2))).isoformat()
    for since in (source["updated_at"], in_kyiv):
        slugs = {row["slug"] for row in coordinator.all_pages("/api/v1/sources/", params={"updated_since": since})}
        assert written["source"] in slugs, since
