"""The change feed (/api/v1/changes/): who is told what, paging by next_after, its parameters."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from evactrack.access.choices import Role
from reports.choices import OrderState, VerificationState
from reports.models import Change, Incident
from reports.services import (
    CitationInput,
    changes_stamp,
    designation_delete,
    designation_update,
    incident_create_many,
    incident_review,
    order_lift,
    order_update,
    population_count_update,
    source_upsert,
)
from tests.factories import (
    DesignationFactory,
    IncidentFactory,
    OrderFactory,
    OrganizationFactory,
    PopulationCountFactory,
    SourceFactory,
)

pytestmark = pytest.mark.django_db

FEED = reverse("api:change-list")
CALLERS = ("owner", "other_partner", "viewer", "coordinator")


@pytest.fixture
def callers(api, other_org):
    return {
        "owner": api(Role.PARTNER),
        "other_partner": api(Role.PARTNER, other_org),
        "viewer": api(Role.VIEWER, OrganizationFactory(slug="viewer-org")),
        "coordinator": api(Role.COORDINATOR),
    }


def feed(client, **params) -> dict:
    response = client.get(FEED, params)
    assert response.status_code == 200, response.content
    return response.json()


def read_all(client, after=0, **params) -> tuple[list[dict], int]:
    results = []
    while True:
        page = feed(client, after=after, **params)
        results += page["results"]
        if not page["results"]:
            return results, page["next_after"]
        after = page["next_after"]


def review(coordinator, uid, state):
    if state == VerificationState.REPORTED:
        incident_review(incident=Incident.objects.get(uid=uid), state=state, actor=coordinator.user)
        return
    action = {"verified": "verify", "rejected": "reject", "disputed": "dispute"}[state]
    response = coordinator.post(reverse(f"api:incident-{action}", args=[uid]), {"note": "Checked."}, format="json")
    assert response.status_code == 200, response.content


def delete(client, uid):
    assert client.delete(reverse("api:incident-detail", args=[uid])).status_code == 204


# What the last step tells each caller: (owner, other partner, viewer, coordinator); None: nothing.
MATRIX = {
    "create unverified": ([], "upsert", None, None, "upsert"),
    "verify": (["create"], "upsert", "upsert", "upsert", "upsert"),
    "reject a verified one": (["create", "verified"], "upsert", "remove", "remove", "upsert"),
    "dispute a verified one": (["create", "verified"], "upsert", "remove", "remove", "upsert"),
    "reopen a verified one": (["create", "verified"], "upsert", "remove", "remove", "upsert"),
    "reject an unverified one": (["create"], "upsert", None, None, "upsert"),
    "delete an unverified one": (["create"], "remove", None, None, "remove"),
    "delete a verified one": (["create", "verified"], "remove", "remove", "remove", "remove"),
}
LAST_STEP = {
    "create unverified": "create",
    "verify": "verified",
    "reject a verified one": "rejected",
    "dispute a verified one": "disputed",
    "reopen a verified one": "reported",
    "reject an unverified one": "rejected",
    "delete an unverified one": "delete",
    "delete a verified one": "delete",
}


@pytest.mark.parametrize("scenario", list(MATRIX))
def test_who_is_told_what(callers, incident_body, scenario):
    before, *expected = MATRIX[scenario]
    owner, coordinator = callers["owner"], callers["coordinator"]
    state = {"uid": None}

    def run(step):
        if step == "create":
            state["uid"] = owner.post(reverse("api:incident-list"), incident_body(), format="json").json()["uid"]
        elif step == "delete":
            delete(coordinator, state["uid"])
        else:
            review(coordinator, state["uid"], step)

    for step in before:
        run(step)
    positions = {name: read_all(client, types="incident")[1] for name, client in callers.items()}
    run(LAST_STEP[scenario])
    for name, want in zip(CALLERS, expected, strict=True):
        client = callers[name]
        told, _next = read_all(client, after=positions[name], types="incident")
        assert [entry["action"] for entry in told] == ([want] if want else []), name
        for entry in told:
            assert entry["uid"] == state["uid"] and entry["type"] == "incident"
            detail = client.get(reverse("api:incident-detail", args=[entry["uid"]]))
            if entry["action"] == "upsert":
                assert entry["data"] == detail.json(), name
            else:
                assert entry["data"] is None and detail.status_code == 404, name
        # Never a word of an object the caller could never read.
        if scenario in ("create unverified", "reject an unverified one", "delete an unverified one") and not want:
            assert read_all(client, types="incident")[0] == [], name


def test_a_replica_built_from_the_feed_holds_what_the_list_shows(callers, incident_body):
    owner, coordinator = callers["owner"], callers["coordinator"]
    uids = [owner.post(reverse("api:incident-list"), incident_body(), format="json").json()["uid"] for _ in range(4)]
    review(coordinator, uids[0], "verified")
    review(coordinator, uids[1], "verified")
    review(coordinator, uids[1], "disputed")
    review(coordinator, uids[2], "verified")
    delete(coordinator, uids[3])
    for name, client in callers.items():
        replica = {}
        for entry in read_all(client, types="incident")[0]:
            if entry["action"] == "upsert":
                replica[entry["uid"]] = entry["data"]
            else:
                replica.pop(entry["uid"], None)
        listed = {row["uid"] for row in client.get(reverse("api:incident-list")).json()["results"]}
        assert set(replica) == listed, name


def test_data_is_the_detail_of_each_type_for_that_caller(callers, area, source):
    coordinator = callers["coordinator"]
    order = OrderFactory(area=area, source=source, children_subject=5, children_subject_qualifier="exact")
    count = PopulationCountFactory(area=area, source=source, children=7, children_qualifier="exact")
    designation = DesignationFactory(area=area, source=source)
    routes = {"order": "api:order-detail", "population_count": "api:population-count-detail",
              "source": "api:source-detail", "incident": "api:incident-detail",
              "designation": "api:designation-detail"}  # fmt: skip
    for name in ("viewer", "coordinator"):
        client = callers[name]
        entries = read_all(client)[0]
        assert {(entry["type"], entry["uid"]) for entry in entries} == {
            ("order", str(order.uid)),
            ("population_count", str(count.uid)),
            ("source", source.slug),
            ("designation", str(designation.uid)),
        }
        for entry in entries:
            detail = client.get(reverse(routes[entry["type"]], args=[entry["uid"]])).json()
            assert entry["data"] == detail
            assert entry["at"].endswith("Z") and len(entry["at"]) == len("2023-08-10T07:15:00.000000Z")
    viewer_order = next(e for e in read_all(callers["viewer"])[0] if e["type"] == "order")
    assert viewer_order["data"]["withheld"] == ["children_subject"]
    assert coordinator is not None


def test_orders_drafts_reach_staff_until_issued(callers, area):
    order = OrderFactory(area=area, state=OrderState.DRAFT)
    viewer, coordinator = callers["viewer"], callers["coordinator"]
    assert read_all(viewer, types="order")[0] == []
    assert [e["action"] for e in read_all(coordinator, types="order")[0]] == ["upsert"]
    position = read_all(viewer, types="order")[1]
    order_update(order=order, state=OrderState.ACTIVE)
    order_lift(order=order)
    told = read_all(viewer, after=position, types="order")[0]
    assert [(e["type"], e["action"], e["data"]["state"]) for e in told] == [
        ("order", "upsert", "lifted"),
        ("order", "upsert", "lifted"),
    ]
    position = read_all(viewer, types="order")[1]
    order_update(order=order, state=OrderState.DRAFT, lifted_on=None)
    assert [(e["action"], e["data"]) for e in read_all(viewer, after=position, types="order")[0]] == [("remove", None)]


def test_every_write_path_writes_one_entry(area, source):
    incident = IncidentFactory(area=area, source=source)
    row = {"citations": [CitationInput(source=source)], "incident_type": "shelling",
           "occurred_on": incident.occurred_on, "area": area, "summary": "Bulk."}  # fmt: skip
    incident_create_many(rows=[row] * 3)
    count = PopulationCountFactory(area=area, source=source)
    population_count_update(count=count, total=5)
    source_upsert(slug=source.slug, title="Renamed")
    designation = DesignationFactory(area=area, source=source)
    designation_update(designation=designation, summary="Corrected.")
    designation_delete(designation=designation)
    types = list(Change.objects.order_by("id").values_list("type", flat=True))
    assert types == ["source", "incident", "incident", "incident", "incident", "population_count",
                     "population_count", "source", "designation", "designation", "designation"]  # fmt: skip
    audiences = Change.objects.filter(type="designation").order_by("id").values_list("before", "after")
    assert list(audiences) == [("nobody", "everyone"), ("everyone", "everyone"), ("everyone", "nobody")]
    assert Change.objects.filter(seq__isnull=True).count() == len(types)
    assert changes_stamp() == len(types)
    assert list(Change.objects.order_by("id").values_list("seq", flat=True)) == list(range(1, len(types) + 1))
    assert changes_stamp() == 0


def test_next_after_pages_through_everything_once(coordinator, area, source):
    sources = [SourceFactory() for _ in range(7)]
    seen, after = [], 0
    while True:
        page = feed(coordinator, after=after, limit=3)
        if not page["results"]:
            break
        assert len(page["results"]) <= 3
        seen += page["results"]
        after = page["next_after"]
    seqs = [entry["seq"] for entry in seen]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert {entry["uid"] for entry in seen} == {source.slug, *(s.slug for s in sources)}
    assert feed(coordinator, after=after) == {"results": [], "next_after": after}
    # Entries the caller may not read still move next_after, so a quiet caller does not rescan.
    assert feed(coordinator, after=0, types="order") == {"results": [], "next_after": seqs[-1]}


def test_types_filter(coordinator, area, source):
    OrderFactory(area=area, source=source)
    PopulationCountFactory(area=area, source=source)
    IncidentFactory(area=area, source=source)
    assert {e["type"] for e in read_all(coordinator, types="order,source")[0]} == {"order", "source"}
    # Repeated parameters count too.
    response = coordinator.get(FEED + "?types=incident&types=population_count")
    assert {e["type"] for e in response.json()["results"]} == {"incident", "population_count"}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"after": "-1"}, "after"),
        ({"after": "abc"}, "after"),
        ({"after": str(2**63)}, "after"),
        ({"limit": "0"}, "limit"),
        ({"limit": "1001"}, "limit"),
        ({"limit": "x"}, "limit"),
        ({"types": "incident,designations"}, "types"),
        ({"types": ""}, "types"),
    ],
)
def test_bad_parameters(coordinator, params, field):
    response = coordinator.get(FEED, params)
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) >= {"status", "code", "detail", "fields"}
    assert field in body["fields"]


def test_needs_a_role(client):
    assert client.get(FEED).status_code in (401, 403)


def test_same_queries_for_1_and_50_entries(coordinator, area, source):
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            feed(coordinator, limit=1000)
        return len(captured)

    IncidentFactory(area=area, source=source)
    OrderFactory(area=area, source=source)
    PopulationCountFactory(area=area, source=source)
    DesignationFactory(area=area, source=source)
    feed(coordinator)  # stamps what is there, so both reads below stamp
    SourceFactory()
    one = queries()
    for _ in range(16):
        IncidentFactory(area=area, source=source)
        OrderFactory(area=area, source=source)
        PopulationCountFactory(area=area, source=source)
        DesignationFactory(area=area, source=source)
    SourceFactory()
    fifty = queries()
    assert one == fifty


def test_imports_write_one_entry_per_row(area, source):
    from reports.importing import IncidentImporter, OrderTargetImporter

    header = "incident_type,occurred_on,area_code,summary,source"
    rows = [f"shelling,2023-08-01,{area.code},Imported {i}.,{source.slug}" for i in range(3)]
    importer = IncidentImporter("\n".join([header, *rows]).encode() + b"\n", "incidents.csv")
    check = importer.check()
    assert check.ok, check.errors
    before = Change.objects.count()
    assert importer.save(check, actor=None) == 3
    imported = set(Incident.objects.filter(summary__startswith="Imported").values_list("uid", flat=True))
    assert set(Change.objects.order_by("id")[before:].values_list("uid", flat=True)) == {str(u) for u in imported}

    order = OrderFactory(area=area, source=source)
    before = Change.objects.count()
    importer = OrderTargetImporter(f"order_uid,area_code,scope\n{order.uid},{area.code},single\n".encode(), "t.csv")
    check = importer.check()
    assert check.ok, check.errors
    importer.save(check, actor=None)
    assert list(Change.objects.order_by("id")[before:].values_list("type", "uid")) == [("order", str(order.uid))]


def test_beat_stamps_too(area, source):
    from django_celery_beat.models import PeriodicTask

    from reports.tasks import STAMP_CHANGES, stamp_changes

    schedule = PeriodicTask.objects.get(task=STAMP_CHANGES)
    assert (schedule.enabled, schedule.interval.every, schedule.interval.period) == (True, 10, "seconds")
    IncidentFactory(area=area, source=source)
    assert stamp_changes.apply().get() == {"stamped": 2}  # the source and the incident
    assert stamp_changes.apply().get() == {"stamped": 0}
    assert not Change.objects.filter(seq__isnull=True).exists()


def test_refuses_what_every_api_view_refuses(coordinator, settings):
    """The feed shares the API base's input hygiene: NUL characters in the query, oversized bodies."""
    response = coordinator.get(FEED + "?after=%00")
    assert response.status_code == 400, response.content
    assert response.json()["fields"] == {"after": ["Text cannot contain NUL characters."]}
    assert coordinator.get(FEED + "?types%00=incident").status_code == 400
    too_long = str(settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    assert coordinator.get(FEED, CONTENT_LENGTH=too_long).status_code == 413


# --- pruning ----------------------------------------------------------------------------------


def test_pruning_deletes_a_prefix_of_old_entries_and_keeps_the_newest(coordinator, settings):
    from reports.services import changes_prune

    settings.EVACTRACK_CHANGES_RETENTION_DAYS = 90
    sources = [SourceFactory() for _ in range(5)]
    changes_stamp()
    now = timezone.now()
    Change.objects.filter(seq__lte=3).update(at=now - datetime.timedelta(days=91))
    assert changes_prune(now=now) == 3
    assert list(Change.objects.order_by("seq").values_list("seq", flat=True)) == [4, 5]
    assert changes_prune(now=now) == 0
    # Everything old: the newest stays, so the next stamp continues above it, never from 1.
    Change.objects.update(at=now - datetime.timedelta(days=200))
    assert changes_prune(now=now) == 1
    assert list(Change.objects.values_list("seq", flat=True)) == [5]
    source_upsert(slug=sources[0].slug, title="Renamed")
    changes_stamp()
    assert list(Change.objects.order_by("seq").values_list("seq", flat=True)) == [5, 6]


def test_a_client_behind_the_pruned_entries_gets_410_and_where_to_start(coordinator, viewer):
    from reports.services import changes_prune

    for _ in range(4):
        SourceFactory()
    position = feed(viewer, after=0)["next_after"]
    assert position == 4
    Change.objects.filter(seq__lte=2).update(at=timezone.now() - datetime.timedelta(days=365))
    assert changes_prune() == 2
    # after=2 missed nothing (3 and 4 are kept); after=1 or 0 may have missed 2.
    assert feed(viewer, after=2)["results"][0]["seq"] == 3
    for after in (0, 1):
        response = viewer.get(FEED, {"after": after})
        assert response.status_code == 410, response.content
        body = response.json()
        assert (body["code"], body["next_after"], body["fields"]) == ("changes_pruned", 4, {})
        assert "full" in body["detail"] and "next_after" in body["detail"]
    assert feed(viewer, after=position) == {"results": [], "next_after": 4}


def test_beat_prunes(settings):
    from django_celery_beat.models import PeriodicTask

    from reports.tasks import PRUNE_CHANGES, prune_changes

    schedule = PeriodicTask.objects.get(task=PRUNE_CHANGES)
    assert (schedule.enabled, schedule.interval.every, schedule.interval.period) == (True, 1, "days")
    SourceFactory()
    SourceFactory()
    changes_stamp()
    settings.EVACTRACK_CHANGES_RETENTION_DAYS = 0
    assert prune_changes.apply().get() == {"pruned": 1}
    assert prune_changes.apply().get() == {"pruned": 0}
