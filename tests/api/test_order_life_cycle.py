"""The orders API: issuing organization, review and confirmation dates, replaced orders; writes by coordinators."""

import datetime

import pytest
from django.urls import reverse

from reports.models import EvacuationOrder
from tests.factories import OrderFactory, OrganizationFactory

pytestmark = pytest.mark.django_db


def _patch(client, order, body):
    url = reverse("api:order-detail", kwargs={"uid": order.uid})
    etag = client.get(url)["ETag"]
    return client.patch(url, body, format="json", HTTP_IF_MATCH=etag)


def test_a_coordinator_writes_and_everyone_reads_the_life_cycle(coordinator, viewer, area):
    authority = OrganizationFactory(slug="kupiansk-rva", name="Kupiansk District Military Administration")
    old = OrderFactory(area=area, kind="recommended", effective_from=datetime.date(2023, 8, 1))
    new = OrderFactory(area=area, effective_from=datetime.date(2023, 8, 10))
    body = {
        "issuing_organization": "kupiansk-rva",
        "issued_on": "2023-08-09",
        "review_on": "2023-11-09",
        "confirmed_on": "2023-09-01",
        "supersedes": str(old.uid),
    }
    response = _patch(coordinator, new, body)
    assert response.status_code == 200, response.json()
    got = viewer.get(reverse("api:order-detail", kwargs={"uid": new.uid})).json()
    assert {name: got[name] for name in body} == body
    stored = EvacuationOrder.objects.get(pk=new.pk)
    assert (stored.issuing_organization, stored.supersedes) == (authority, old)
    listed = viewer.get(reverse("api:order-list")).json()["results"]
    assert {row["uid"]: row["supersedes"] for row in listed} == {str(new.uid): str(old.uid), str(old.uid): None}


def test_partners_cannot_write_it(partner, area):
    order = OrderFactory(area=area)
    assert _patch(partner, order, {"confirmed_on": "2023-09-01"}).status_code == 403
    assert partner.post(reverse("api:order-confirm", kwargs={"uid": order.uid}), {}, format="json").status_code == 403


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"issued_on": "2023-08-09", "review_on": "2023-08-01"}, "review_on"),
        ({"issued_on": "2023-08-09", "confirmed_on": "2023-08-01"}, "confirmed_on"),
        ({"confirmed_on": "2099-01-01"}, "confirmed_on"),
        ({"supersedes": "00000000-0000-0000-0000-000000000000"}, "supersedes"),
        ({"issuing_organization": "nobody"}, "issuing_organization"),
    ],
)
def test_bad_dates_and_references_are_400_with_the_field(coordinator, area, body, field):
    order = OrderFactory(area=area)
    response = _patch(coordinator, order, body)
    assert response.status_code == 400
    assert field in response.json()["fields"], response.json()


def test_an_order_cannot_replace_itself_nor_close_a_cycle(coordinator, area):
    first = OrderFactory(area=area)
    second = OrderFactory(area=area, supersedes=first)
    itself = _patch(coordinator, first, {"supersedes": str(first.uid)})
    assert itself.status_code == 400 and "supersedes" in itself.json()["fields"]
    cycle = _patch(coordinator, first, {"supersedes": str(second.uid)})
    assert cycle.status_code == 400 and "cycle" in str(cycle.json()["fields"]["supersedes"])
    assert EvacuationOrder.objects.get(pk=first.pk).supersedes is None


def test_confirming_records_the_day(coordinator, area):
    order = OrderFactory(area=area)
    url = reverse("api:order-confirm", kwargs={"uid": order.uid})
    response = coordinator.post(url, {"confirmed_on": "2023-09-01"}, format="json")
    assert response.status_code == 200 and response.json()["confirmed_on"] == "2023-09-01"
    assert coordinator.post(url, {}, format="json").json()["confirmed_on"] == datetime.date.today().isoformat()
