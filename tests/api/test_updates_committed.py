"""Updates answer 200 with the saved object when the request runs in no test transaction, as in
production: the row lock ends with the write's transaction, the answer is read without it."""

import pytest
from django.urls import reverse

from evactrack.access.choices import Role
from reports.models import Incident
from tests.factories import OrderFactory, PopulationCountFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def etag_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, response.content
    return response["ETag"]


@pytest.mark.parametrize("method", ["patch", "put"])
def test_incident_update_outside_a_test_transaction(api, own_org, incident_body, method):
    partner = api(Role.PARTNER)
    uid = partner.post(reverse("api:incident-list"), incident_body(), format="json").json()["uid"]
    url = reverse("api:incident-detail", args=[uid])
    body = {"summary": "Corrected."} if method == "patch" else incident_body(summary="Corrected.")
    response = getattr(partner, method)(url, body, format="json", HTTP_IF_MATCH=etag_of(partner, url))
    assert response.status_code == 200, response.content
    assert response.json()["summary"] == "Corrected."
    assert response["ETag"] == etag_of(partner, url) != ""
    assert Incident.objects.get(uid=uid).summary == "Corrected."


@pytest.mark.parametrize(
    ("route", "factory", "change"),
    [
        ("api:order-detail", OrderFactory, {"summary": "Corrected."}),
        ("api:population-count-detail", PopulationCountFactory, {"summary": "Corrected."}),
    ],
)
def test_fact_update_with_any_etag(api, area, route, factory, change):
    coordinator = api(Role.COORDINATOR)
    fact = factory(area=area)
    url = reverse(route, args=[fact.uid])
    response = coordinator.patch(url, change, format="json", HTTP_IF_MATCH="*")
    assert response.status_code == 200, response.content
    assert response.json()["summary"] == "Corrected."


def test_source_update(api, source):
    coordinator = api(Role.COORDINATOR)
    url = reverse("api:source-detail", args=[source.slug])
    response = coordinator.patch(url, {"title": "Renamed"}, format="json", HTTP_IF_MATCH=etag_of(coordinator, url))
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Renamed"
