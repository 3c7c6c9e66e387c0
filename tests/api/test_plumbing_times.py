"""Every time the API gives is UTC in one exact format, `2023-08-10T12:00:00.123456Z`, whatever
the server's time zone (Kyiv), whoever formats it: DRF's fields, the hand-built serializers, or
the database writing a list row's JSON (evactrack.kernel.api.columns.IsoDateTime)."""

import datetime
import re

import pytest
from django.urls import reverse

from evactrack.kernel.api.columns import datetime_text
from reports.models import Incident, Source, Tombstone
from reports.services import incident_delete
from tests.factories import IncidentFactory, OrderFactory, PopulationCountFactory

pytestmark = pytest.mark.django_db

UTC_TIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")
WHOLE_SECOND = datetime.datetime(2023, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
WITH_MICROSECONDS = datetime.datetime(2023, 8, 10, 21, 30, 0, 120, tzinfo=datetime.UTC)


def times_in(value, key=""):
    """(key, value) of every string field named *_at anywhere in a JSON value."""
    if isinstance(value, dict):
        for name, item in value.items():
            yield from times_in(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from times_in(item, key)
    elif key.endswith("_at") and value is not None:
        yield key, value


def test_datetime_text_is_utc_with_z():
    kyiv = datetime.timezone(datetime.timedelta(hours=3))
    assert datetime_text(WHOLE_SECOND.astimezone(kyiv)) == "2023-01-02T03:04:05.000000Z"
    assert datetime_text(WITH_MICROSECONDS) == "2023-08-10T21:30:00.000120Z"


def test_every_resource_gives_times_in_one_format(coordinator, area, source):
    incident = IncidentFactory(area=area)
    OrderFactory(area=area)
    PopulationCountFactory(area=area)
    incident_delete(incident=IncidentFactory(area=area))
    # Late evening UTC is the next day in Kyiv: a local time would show the wrong date too.
    Source.objects.filter(pk=source.pk).update(created_at=WITH_MICROSECONDS, updated_at=WHOLE_SECOND)
    Tombstone.objects.update(deleted_at=WITH_MICROSECONDS)
    Incident.objects.filter(pk=incident.pk).update(updated_at=WITH_MICROSECONDS)
    seen = {}
    for name in ("incident", "order", "population-count", "source", "deletion", "area"):
        for row in coordinator.get(reverse(f"api:{name}-list")).json()["results"]:
            seen.update({f"{name}.{key}": value for key, value in times_in(row)})
            lookup = row.get("uid") if name != "source" else row["slug"]
            if name == "area":
                lookup = row["code"]
            if name != "deletion":
                detail = coordinator.get(reverse(f"api:{name}-detail", args=[lookup])).json()
                seen.update({f"{name}.detail.{key}": value for key, value in times_in(detail)})
    assert {"source.created_at", "deletion.deleted_at", "incident.updated_at", "area.updated_at"} <= set(seen)
    assert {key: value for key, value in seen.items() if not UTC_TIME.match(value)} == {}
    assert seen["source.created_at"] == seen["deletion.deleted_at"] == "2023-08-10T21:30:00.000120Z"
    assert seen["source.updated_at"] == "2023-01-02T03:04:05.000000Z"
    assert seen["incident.updated_at"] == seen["incident.detail.updated_at"] == "2023-08-10T21:30:00.000120Z"


def test_a_created_object_gives_times_in_the_same_format(partner, incident_body):
    created = partner.post(reverse("api:incident-list"), incident_body(), format="json").json()
    assert UTC_TIME.match(created["created_at"]) and UTC_TIME.match(created["updated_at"]), created


@pytest.mark.parametrize("stored", [WHOLE_SECOND, WITH_MICROSECONDS])
def test_the_database_writes_a_time_as_python_does(area, stored):
    """SQLite keeps `2023-01-02 03:04:05` (no fraction when there is none); PostgreSQL a
    timestamp. Both write the same text as datetime_text."""
    from evactrack.kernel.api.columns import IsoDateTime

    incident = IncidentFactory(area=area)
    Incident.objects.filter(pk=incident.pk).update(updated_at=stored)
    written = Incident.objects.filter(pk=incident.pk).values_list(IsoDateTime("updated_at"), flat=True).get()
    assert written == datetime_text(stored)


@pytest.mark.postgres
@pytest.mark.parametrize("stored", [WHOLE_SECOND, WITH_MICROSECONDS])
def test_postgresql_writes_a_time_as_python_does_in_any_session_time_zone(area, stored):
    from django.db import connection

    from evactrack.kernel.api.columns import IsoDateTime

    incident = IncidentFactory(area=area)
    Incident.objects.filter(pk=incident.pk).update(updated_at=stored)
    with connection.cursor() as cursor:
        cursor.execute("SET TIME ZONE 'Asia/Kathmandu'")
    written = Incident.objects.filter(pk=incident.pk).values_list(IsoDateTime("updated_at"), flat=True).get()
    assert written == datetime_text(stored)
