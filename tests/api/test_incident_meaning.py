"""The incident fields of issue 16 item 6 through the API: kind, discovered_on and the civilian
split are written by those who write incidents, refused with field messages, and exported."""

import csv
import io

import pytest
from django.urls import reverse

from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db
LIST = "api:incident-list"


def test_a_partner_writes_the_kind_the_discovery_and_the_civilian_split(partner, incident_body):
    body = incident_body(
        incident_type="mass_grave",
        occurred_on="2022-03-01",
        occurred_until="2022-09-10",
        discovered_on="2022-09-15",
        fatalities=443,
        fatalities_qualifier="at_least",
        civilians_killed=430,
        civilians_killed_qualifier="at_least",
        children_killed=5,
        children_killed_qualifier="at_least",
    )
    response = partner.post(reverse(LIST), body, format="json")
    assert response.status_code == 201, response.json()
    created = response.json()
    assert created["kind"] == "event"  # the default
    assert (created["discovered_on"], created["civilians_killed"], created["civilians_killed_qualifier"]) == (
        "2022-09-15",
        430,
        "at_least",
    )
    assert created["civilians_injured"] is None and created["civilians_injured_qualifier"] == ""  # unknown
    detail = reverse("api:incident-detail", kwargs={"uid": created["uid"]})
    response = partner.patch(detail, {"kind": "pattern"}, format="json", HTTP_IF_MATCH=response["ETag"])
    assert response.status_code == 200, response.json()
    assert partner.get(detail).json()["kind"] == "pattern"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"civilians_killed": 3, "civilians_killed_qualifier": "exact"}, "civilians_killed"),  # 2 killed in all
        (
            {"civilians_killed": 1, "civilians_killed_qualifier": "exact", "children_killed": 2,
             "children_killed_qualifier": "exact"},
            "children_killed",
        ),
        ({"civilians_injured": 1}, "civilians_injured_qualifier"),
        ({"discovered_on": "2023-08-09"}, "discovered_on"),  # before occurred_on
        ({"kind": "trend"}, "kind"),
    ],
)  # fmt: skip
def test_what_the_rules_refuse_is_400_naming_the_field(partner, incident_body, overrides, field):
    response = partner.post(reverse(LIST), incident_body(**overrides), format="json")
    assert response.status_code == 400, response.json()
    assert field in response.json()["fields"], response.json()


def test_the_export_has_the_new_columns(coordinator, area):
    IncidentFactory(
        area=area, kind="pattern", occurred_until="2023-08-20", fatalities=4, fatalities_qualifier="exact",
        civilians_killed=3, civilians_killed_qualifier="approximate",
    )  # fmt: skip
    response = coordinator.get(reverse("api:incident-export") + "?format=csv")
    text = b"".join(response.streaming_content).decode()
    rows = list(csv.DictReader(io.StringIO(text)))
    row = next(row for row in rows if row.get("kind") == "pattern")
    assert (row["civilians_killed"], row["civilians_killed_qualifier"]) == ("3", "approximate")
    assert row["civilians_injured"] == "" and row["discovered_on"] == ""  # unknown stays empty, never 0
