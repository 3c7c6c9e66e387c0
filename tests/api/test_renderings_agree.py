"""Every rendering of a resource comes from its one declaration (evactrack.kernel.api.declarations): for
one object, the list row, the single object, the CSV row and the GeoJSON properties agree field
by field, for a caller who sees everything and one from whom fields are withheld. And the field
added to show it, incidents' occurred_until, goes in by the API and the import and out by each."""

import csv
import datetime
import io
import json

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from evactrack.kernel.api.declarations import Field, Resource
from reports.api.serializers import COUNTS, INCIDENTS
from reports.importing import IncidentImporter
from reports.models import Incident
from reports.services import incident_review
from tests.factories import IncidentFactory, OrganizationFactory, PopulationCountFactory

pytestmark = pytest.mark.django_db

# Needs 17 significant digits: SQLite's JSON would write 15.
LATITUDE = 49.712345678901234


def _incident(area, source, staff_user):
    made = IncidentFactory(
        area=area, source=source, latitude=LATITUDE, longitude=37.61, facility_type="health",
        occurred_until=datetime.date(2023, 8, 12), reporting_organization=OrganizationFactory(slug="third-org"),
        children_killed=1, children_killed_qualifier="exact", fatalities=2, fatalities_qualifier="exact",
    )  # fmt: skip
    incident_review(incident=made, state="verified", actor=staff_user, note="Seen.")
    return made


def _count(area, source, staff_user):
    return PopulationCountFactory(area=area, source=source, children=5, children_qualifier="approximate")


RESOURCES = {
    "incident": (INCIDENTS, _incident, "incident", "latitude"),
    "count": (COUNTS, _count, "population-count", "children"),
}


def _body(response) -> bytes:
    assert response.status_code == 200, response.content
    return b"".join(response.streaming_content) if response.streaming else response.content


def _csv_row(client, route, uid) -> dict:
    rows = list(csv.reader(io.StringIO(_body(client.get(reverse(f"api:{route}-export"))).decode())))
    header, data = rows[0], rows[2:]
    (row,) = [dict(zip(header, values, strict=True)) for values in data if values[header.index("uid")] == uid]
    return row


def _properties(client, route, uid) -> dict:
    collection = json.loads(_body(client.get(reverse(f"api:{route}-export") + "?format=geojson")))
    (properties,) = [f["properties"] for f in collection["features"] if f["properties"]["uid"] == uid]
    return properties


def _as_csv(field: Field, value) -> str:
    return "" if value is None else str(value)


@pytest.mark.parametrize("caller", ["coordinator", "viewer"])
@pytest.mark.parametrize("resource", list(RESOURCES))
def test_list_detail_csv_and_geojson_agree(request, resource, caller, area, source, staff_user):
    declaration, make, route, withheld = RESOURCES[resource]
    client = request.getfixturevalue(caller)
    made = make(area, source, staff_user)
    uid = str(made.uid)

    detail = client.get(reverse(f"api:{route}-detail", kwargs={"uid": uid})).json()
    (listed,) = [row for row in client.get(reverse(f"api:{route}-list")).json()["results"] if row["uid"] == uid]
    assert listed == detail
    assert list(detail) == declaration.api_names
    # The viewer is refused the withheld fields; the coordinator sees them.
    assert (withheld in detail["withheld"]) == (caller == "viewer")

    row, properties = _csv_row(client, route, uid), _properties(client, route, uid)
    columns = [column.name for column in declaration.export_columns()]
    assert list(row) == [*columns, "withheld"] == list(properties)
    for field in declaration.fields:
        if field.hashtag is None:
            continue
        value = detail[field.name]
        assert properties[field.column_name] == value, field.name
        if field.kind == "float" and value is not None:
            assert float(row[field.column_name]) == value, field.name
        else:
            assert row[field.column_name] == _as_csv(field, value), field.name
    assert row["withheld"] == properties["withheld"] == " ".join(detail["withheld"])


def test_a_float_field_is_declared_as_one():
    with pytest.raises(ImproperlyConfigured, match="kind='float'"):
        Resource(Incident, [Field("latitude", "int")])
    with pytest.raises(ImproperlyConfigured, match="no field"):
        Resource(Incident, [Field("nowhere")])


def test_floats_keep_their_digits_in_the_list(coordinator, area, source, staff_user):
    _incident(area, source, staff_user)
    (listed,) = coordinator.get(reverse("api:incident-list")).json()["results"]
    assert listed["latitude"] == LATITUDE


def test_occurred_until_round_trips(partner, coordinator, incident_body):
    created = partner.post(reverse("api:incident-list"), incident_body(occurred_until="2023-08-12"), format="json")
    assert created.status_code == 201, created.content
    uid = created.json()["uid"]
    assert created.json()["occurred_until"] == "2023-08-12"
    detail = coordinator.get(reverse("api:incident-detail", kwargs={"uid": uid})).json()
    (listed,) = coordinator.get(reverse("api:incident-list")).json()["results"]
    assert detail["occurred_until"] == listed["occurred_until"] == "2023-08-12"
    assert _csv_row(coordinator, "incident", uid)["occurred_until"] == "2023-08-12"
    assert _properties(coordinator, "incident", uid)["occurred_until"] == "2023-08-12"

    cleared = partner.patch(
        reverse("api:incident-detail", kwargs={"uid": uid}), {"occurred_until": None}, format="json",
        HTTP_IF_MATCH=created["ETag"],
    )  # fmt: skip
    assert cleared.status_code == 200, cleared.content
    assert cleared.json()["occurred_until"] is None
    assert _csv_row(coordinator, "incident", uid)["occurred_until"] == ""
    assert _properties(coordinator, "incident", uid)["occurred_until"] is None


@pytest.mark.parametrize(
    ("occurred_until", "message"),
    [
        ("2023-08-09", "An incident cannot end before the day it occurred on."),
        ((timezone.localdate() + datetime.timedelta(days=2)).isoformat(), "This date is in the future."),
    ],
)
def test_occurred_until_refused(partner, incident_body, occurred_until, message):
    response = partner.post(reverse("api:incident-list"), incident_body(occurred_until=occurred_until), format="json")
    assert response.status_code == 400, response.content
    assert message in response.json()["fields"]["occurred_until"]
    assert not Incident.objects.exists()


def test_the_database_refuses_an_end_before_the_start(area, source):
    made = IncidentFactory(area=area, source=source)
    with pytest.raises(IntegrityError), transaction.atomic():
        Incident.objects.filter(pk=made.pk).update(occurred_until=made.occurred_on - datetime.timedelta(days=1))


def test_the_import_takes_occurred_until(area, source):
    header = ["incident_type", "occurred_on", "occurred_until", "area_code", "summary", "source"]
    rows = [
        ["shelling", "2023-08-01", "2023-08-03", area.code, "Three days.", source.slug],
        ["shelling", "2023-08-01", "", area.code, "One day.", source.slug],
        ["shelling", "2023-08-05", "2023-08-01", area.code, "Ends first.", source.slug],
    ]
    content = ("\n".join(",".join(row) for row in [header, *rows]) + "\n").encode()
    check = IncidentImporter(content, "incidents.csv").check()
    assert [(error.row, error.column) for error in check.errors] == [(4, "occurred_until")]
    ok = IncidentImporter(("\n".join(",".join(row) for row in [header, *rows[:2]]) + "\n").encode(), "ok.csv")
    ok.save(ok.check(), actor=None)
    assert sorted(Incident.objects.values_list("occurred_until", flat=True), key=str) == [
        datetime.date(2023, 8, 3),
        None,
    ]
