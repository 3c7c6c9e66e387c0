"""Control designations over the API (/api/v1/designations/): reads for every role, filters,
ETags, coordinators' writes with field errors, deletion, exports, and the change feed."""

import datetime
import io

import hxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evactrack.access.choices import Role
from locations.models import Area
from locations.services import area_upsert
from reports.models import ControlDesignation, DirtyArea, Tombstone
from tests.api.test_schema import raw_schema
from tests.factories import AreaFactory, DesignationFactory, SourceFactory

pytestmark = pytest.mark.django_db

LIST = reverse("api:designation-list")
FEED = reverse("api:change-list")


def detail(uid) -> str:
    return reverse("api:designation-detail", args=[uid])


@pytest.fixture
def body(area, source):
    def make(**overrides):
        data = {
            "area": area.code,
            "kind": "occupied",
            "valid_from": "2022-02-27",
            "valid_until": "2022-09-10",
            "valid_until_precision": "day",
            "summary": "Occupied until the counteroffensive.",
            "citations": [{"source": source.slug, "locator": "¶1"}],
        }
        data.update(overrides)
        return data

    return make


@pytest.fixture
def tree(db):
    """An oblast with a settlement under it, and another oblast."""
    inside = AreaFactory()
    oblast = Area.objects.get(code="UA98000000000000001")
    outside, _created = area_upsert(code="UA97000000000000001", name_uk="Інша", category="oblast",
                                    parent=Area.objects.get(code="UA"))  # fmt: skip
    return oblast, inside, outside


def uids(response) -> set[str]:
    assert response.status_code == 200, response.content
    return {row["uid"] for row in response.json()["results"]}


@pytest.mark.parametrize("role", [Role.VIEWER, Role.PARTNER, Role.COORDINATOR])
def test_every_role_reads_list_and_detail_alike(api, area, source, role):
    designation = DesignationFactory(area=area, source=source, valid_until=datetime.date(2022, 9, 10),
                                     valid_until_precision="day")  # fmt: skip
    client = api(role)
    [row] = client.get(LIST).json()["results"]
    one = client.get(detail(designation.uid))
    assert one.status_code == 200 and one.json() == row
    assert row == {
        "uid": str(designation.uid),
        "area": area.code,
        "area_name": area.name_en,
        "kind": "occupied",
        "valid_from": "2022-02-27",
        "valid_from_precision": "day",
        "valid_until": "2022-09-10",
        "valid_until_precision": "day",
        "summary": "Occupied.",
        "citations": [{"source": source.slug, "locator": "¶1", "note": ""}],
        "withheld": [],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }
    assert one["ETag"] and "Authorization" in one["Vary"]
    assert client.get(detail(designation.uid), HTTP_IF_NONE_MATCH=one["ETag"]).status_code == 304


def test_needs_a_role(client):
    assert client.get(LIST).status_code in (401, 403)


def test_filters(viewer, tree, source):
    oblast, inside, outside = tree
    today = timezone.localdate()
    on_oblast = DesignationFactory(area=oblast, source=source, kind="active_hostilities")
    ended = DesignationFactory(area=inside, source=source, valid_until=datetime.date(2022, 9, 10),
                               valid_until_precision="day")  # fmt: skip
    elsewhere = DesignationFactory(area=outside, source=source, valid_from=today)
    assert uids(viewer.get(LIST, {"area": inside.code})) == {str(ended.uid)}
    assert uids(viewer.get(LIST, {"within": oblast.code})) == {str(on_oblast.uid), str(ended.uid)}
    assert uids(viewer.get(LIST, {"kind": "active_hostilities"})) == {str(on_oblast.uid)}
    assert uids(viewer.get(LIST, {"active": "true"})) == {str(on_oblast.uid), str(elsewhere.uid)}
    assert uids(viewer.get(LIST, {"active": "false"})) == {str(ended.uid)}
    # Held on the day it ends, not the day after.
    assert uids(viewer.get(LIST, {"as_of": "2022-09-10"})) == {str(on_oblast.uid), str(ended.uid)}
    assert uids(viewer.get(LIST, {"as_of": "2022-09-11"})) == {str(on_oblast.uid)}
    assert uids(viewer.get(LIST, {"active": "true", "as_of": "2022-05-01"})) == {str(on_oblast.uid), str(ended.uid)}
    later = (timezone.now() + datetime.timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert uids(viewer.get(LIST, {"updated_since": later})) == set()
    assert viewer.get(LIST, {"within": "UA00000000000000000"}).status_code == 400
    assert viewer.get(LIST, {"kind": "annexed"}).status_code == 400


@pytest.mark.parametrize(
    ("role", "expected"), [(Role.VIEWER, 403), (Role.PARTNER, 403), (Role.COORDINATOR, 201)]
)  # fmt: skip
def test_only_coordinators_create(api, body, role, expected):
    response = api(role).post(LIST, body(), format="json")
    assert response.status_code == expected, response.content
    if expected == 201:
        created = ControlDesignation.objects.get()
        assert response.json()["uid"] == str(created.uid)
        assert response["Location"].endswith(detail(created.uid))
        # The areas under it are judged again.
        assert DirtyArea.objects.filter(area=created.area).exists()
    else:
        assert not ControlDesignation.objects.exists()


def test_partners_cannot_change_or_delete(partner, area, source):
    designation = DesignationFactory(area=area, source=source)
    etag = partner.get(detail(designation.uid))["ETag"]
    assert partner.patch(detail(designation.uid), {"summary": "x"}, format="json",
                         HTTP_IF_MATCH=etag).status_code == 403  # fmt: skip
    assert partner.delete(detail(designation.uid)).status_code == 403
    assert ControlDesignation.objects.get().summary == "Occupied."


def test_update_honours_if_match(coordinator, area, source):
    designation = DesignationFactory(area=area, source=source)
    url = detail(designation.uid)
    assert coordinator.patch(url, {"summary": "x"}, format="json").status_code == 428
    etag = coordinator.get(url)["ETag"]
    changed = coordinator.patch(url, {"valid_until": "2022-09-10", "valid_until_precision": "day"}, format="json",
                                HTTP_IF_MATCH=etag)  # fmt: skip
    assert changed.status_code == 200, changed.content
    assert changed.json()["valid_until"] == "2022-09-10" and changed["ETag"] != etag
    stale = coordinator.patch(url, {"summary": "Overwritten."}, format="json", HTTP_IF_MATCH=etag)
    assert stale.status_code == 412
    assert ControlDesignation.objects.get().summary == "Occupied."


def test_put_replaces_citations(coordinator, area, source, body):
    designation = DesignationFactory(area=area, source=source)
    other = SourceFactory(slug="decree-2022")
    url = detail(designation.uid)
    response = coordinator.put(url, body(citations=[{"source": other.slug, "locator": "item 12"}]), format="json",
                               HTTP_IF_MATCH=coordinator.get(url)["ETag"])  # fmt: skip
    assert response.status_code == 200, response.content
    assert response.json()["citations"] == [{"source": "decree-2022", "locator": "item 12", "note": ""}]


FUTURE = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"area": "UA00000000000000099"}, "area"),
        ({"kind": "annexed"}, "kind"),
        ({"valid_from": "2022-09-10", "valid_until": "2022-02-27"}, "valid_until"),
        ({"valid_from": FUTURE, "valid_until": None, "valid_until_precision": ""}, "valid_from"),
        ({"valid_until": FUTURE}, "valid_until"),
        ({"valid_until": None}, "valid_until_precision"),
        ({"summary": "Occupied\x00."}, "summary"),
        ({"area": "UA6308\x00"}, "area"),
        ({"citations": []}, "citations"),
        ({"citations": [{"source": "no-such-source"}]}, "citations.0.source"),
        ({"valid_from": "1900-01-01"}, "valid_from"),
    ],
)
def test_bad_input_is_400_with_the_field(coordinator, body, overrides, field):
    response = coordinator.post(LIST, body(**overrides), format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["fields"], response.json()
    assert not ControlDesignation.objects.exists()


def test_delete_leaves_a_tombstone_and_a_remove(coordinator, viewer, area, source):
    designation = DesignationFactory(area=area, source=source)
    DirtyArea.objects.all().delete()
    position = viewer.get(FEED).json()["next_after"]
    assert coordinator.delete(detail(designation.uid)).status_code == 204
    assert not ControlDesignation.objects.exists()
    assert list(Tombstone.objects.values_list("resource", "uid")) == [("designation", designation.uid)]
    assert DirtyArea.objects.filter(area=area).exists()
    deletions = viewer.get(reverse("api:deletion-list"), {"resource": "designation"}).json()["results"]
    assert [row["uid"] for row in deletions] == [str(designation.uid)]
    told = viewer.get(FEED, {"after": position}).json()["results"]
    assert [(e["type"], e["uid"], e["action"], e["data"]) for e in told] == [
        ("designation", str(designation.uid), "remove", None)
    ]


def test_every_write_reaches_the_feed_as_the_detail(coordinator, viewer, body):
    created = coordinator.post(LIST, body(), format="json").json()
    url = detail(created["uid"])
    coordinator.patch(url, {"summary": "Corrected."}, format="json", HTTP_IF_MATCH=coordinator.get(url)["ETag"])
    for client in (viewer, coordinator):
        entries = client.get(FEED, {"types": "designation"}).json()["results"]
        assert [(e["uid"], e["action"]) for e in entries] == [(created["uid"], "upsert")] * 2
        assert entries[-1]["data"] == client.get(url).json()
        assert entries[-1]["data"]["summary"] == "Corrected."


def test_export_csv_with_hxl(viewer, area, source):
    DesignationFactory(area=area, source=source, kind="active_hostilities")
    response = viewer.get(reverse("api:designation-export"), {"format": "csv"})
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    dataset = hxl.data(hxl.input.make_input(io.BytesIO(body)))
    tags = [column.display_tag for column in dataset.columns]
    [row] = [dict(zip(tags, r.values, strict=True)) for r in dataset]
    assert row["#loc+code"] == area.code and row["#status+control"] == "active_hostilities"
    assert row["#date+start"] == "2022-02-27" and row["#date+end"] in ("", None)


def test_same_queries_for_1_and_50_rows(coordinator, area, source):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            response = coordinator.get(LIST + "?limit=100")
        assert response.status_code == 200
        return len(captured), len(response.json()["results"])

    coordinator.get(LIST)  # the token's first use writes last_used_at once
    DesignationFactory(area=area, source=source)
    one, one_rows = queries()
    for _ in range(49):
        DesignationFactory(area=area, source=source)
    fifty, fifty_rows = queries()
    assert (one_rows, fifty_rows) == (1, 50)
    assert one == fifty


def test_in_the_schema():
    schema = raw_schema()
    paths = schema["paths"]
    assert set(paths["/api/v1/designations/"]) >= {"get", "post"}
    assert set(paths["/api/v1/designations/{uid}/"]) >= {"get", "put", "patch", "delete"}
    assert {"412", "428"} <= set(paths["/api/v1/designations/{uid}/"]["patch"]["responses"])
    names = {p["name"] for p in paths["/api/v1/designations/"]["get"]["parameters"]}
    assert {"area", "within", "kind", "active", "as_of", "updated_since", "cursor", "limit"} <= names
    assert "/api/v1/designations/export/" in paths
