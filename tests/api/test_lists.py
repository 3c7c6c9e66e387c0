"""Lists: constant queries whatever the page size, stable cursor pages, filters."""

import datetime
import itertools

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evactrack.access.choices import Role
from evactrack.kernel.api.statements import RowsById, Statement
from locations.models import Area
from reports.choices import FacilityType, VerificationState
from reports.models import Incident
from reports.services import CitationInput, incident_create, incident_review, order_lift
from tests.factories import (
    AreaFactory,
    IncidentFactory,
    OrderFactory,
    PopulationCountFactory,
    SourceFactory,
)
from tests.plans import query_plan, sorts

pytestmark = pytest.mark.django_db


def count_queries(client, url) -> tuple[int, list[str], int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries), [q["sql"] for q in queries.captured_queries], len(response.json()["results"])


AREA_NUMBERS = itertools.count()


def make_rows(resource, n, area):
    for _ in range(n):
        if resource == "area-list":
            AreaFactory(code=f"UA97{next(AREA_NUMBERS):015d}")
        elif resource == "incident-list":
            IncidentFactory(area=area)
        elif resource == "order-list":
            OrderFactory(area=area)
        elif resource == "population-count-list":
            PopulationCountFactory(area=area)
        elif resource == "source-list":
            SourceFactory()
        elif resource == "deletion-list":
            from reports.services import incident_delete

            incident_delete(incident=IncidentFactory(area=area))


@pytest.mark.parametrize(
    "resource", ["area-list", "incident-list", "order-list", "population-count-list", "source-list", "deletion-list"]
)
def test_same_queries_for_1_and_50_rows(coordinator, area, resource):
    url = reverse(f"api:{resource}") + "?limit=100"
    coordinator.get(url)  # the token's first use writes last_used_at once
    make_rows(resource, 1, area)
    one, one_sql, one_rows = count_queries(coordinator, url)
    make_rows(resource, 49, area)
    fifty, fifty_sql, fifty_rows = count_queries(coordinator, url)
    assert fifty_rows >= one_rows + 49
    assert one == fifty, (
        "queries differ:\n--- 1 row:\n" + "\n".join(one_sql) + "\n--- 50 rows:\n" + "\n".join(fifty_sql)
    )


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        # The token (with its user and membership), the page's rows.
        ("/api/v1/areas/?level=settlement&limit=100", 2),
        # The token, the `within` area, the page's ids, their rows (with organizations, areas
        # and citations).
        ("/api/v1/incidents/?within=UA98000000000000001&limit=100", 4),
    ],
)
def test_hot_lists_query_budget(coordinator, area, url, expected):
    """The lists the benchmark measures (docs/BENCHMARKS.md), pinned to their exact queries."""
    coordinator.get(url)  # the token's first use writes last_used_at once
    for _ in range(3):
        IncidentFactory(area=area)
    count, sql, rows = count_queries(coordinator, url)
    assert rows and count == expected, "\n".join(sql)


@pytest.mark.parametrize("role", ["partner", "coordinator"])
def test_an_incident_reads_the_same_in_a_list_and_alone(api, role, area, other_org):
    """A list has the database write dates, UUIDs, the area and the citations as text
    (evactrack.kernel.api.columns); a single incident goes through the serializer. They must agree
    on both databases: microseconds present or not, null dates, the order of citations and
    a point withheld from a partner."""
    zeta, alpha = SourceFactory(slug="zeta-wire"), SourceFactory(slug="alpha-wire")
    hospital = incident_create(
        area=area,
        incident_type="shelling",
        occurred_on=datetime.date(2023, 8, 10),
        summary="A hospital was hit.",
        latitude=49.712345678912345,
        longitude=37.61,
        facility_type=FacilityType.HEALTH,
        reporting_organization_id=other_org.pk,
        citations=[
            CitationInput(source=zeta, locator="p2"),
            CitationInput(source=alpha, locator="¶9", note='he said "«обстріл»"\n\ta\\b \x01 🚑'),
        ],
    )
    incident_review(incident=hospital, state=VerificationState.VERIFIED, actor=None)
    plain = IncidentFactory(area=area, occurred_on=datetime.date(2022, 2, 24))  # reported: no review date
    whole_second = datetime.datetime(2023, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    Incident.objects.filter(pk=plain.pk).update(created_at=whole_second, updated_at=whole_second)
    client = api(role)
    listed = {row["uid"]: row for row in client.get(reverse("api:incident-list")).json()["results"]}
    shown = [client.get(reverse("api:incident-detail", args=[uid])).json() for uid in listed]
    assert [listed[row["uid"]] for row in shown] == shown
    assert [c["source"] for c in listed[str(hospital.uid)]["citations"]] == ["alpha-wire", "zeta-wire"]
    assert listed[str(hospital.uid)]["withheld"] == ([] if role == "coordinator" else ["latitude", "longitude"])
    if role == "coordinator":
        assert listed[str(plain.uid)]["created_at"] == "2023-01-02T03:04:05.000000Z"


def test_an_area_reads_the_same_in_a_list_and_alone(viewer, area):
    """The area list has the database write updated_at as text; the detail view formats it."""
    whole_second = datetime.datetime(2023, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    Area.objects.filter(pk=area.pk).update(updated_at=whole_second)
    AreaFactory(code="UA97000000000000001")  # saved now, with microseconds
    listed = viewer.get(reverse("api:area-list") + "?limit=100").json()["results"]
    assert len(listed) >= 2
    assert [viewer.get(reverse("api:area-detail", args=[row["code"]])).json() for row in listed] == listed
    assert {row["code"]: row["updated_at"] for row in listed}[area.code] == "2023-01-02T03:04:05.000000Z"


def test_a_level_in_code_order_is_read_from_one_index(viewer, area):
    """The area list by level reads the (level, code) index in order. With an index on level
    alone SQLite sorted all 30,000 settlements for ?limit=1."""
    with CaptureQueriesContext(connection) as queries:
        assert viewer.get("/api/v1/areas/?level=settlement&limit=1").status_code == 200
    page = [query["sql"] for query in queries.captured_queries if "LIMIT" in query["sql"]][-1]  # the ids
    plan = query_plan(page)
    assert "locations_area_level_code" in plan and not sorts(plan), plan


def test_page_size_is_capped(viewer, area):
    response = viewer.get(reverse("api:area-list") + "?limit=100000")
    assert response.status_code == 200
    from evactrack.kernel.api.pagination import MAX_PAGE_SIZE

    assert MAX_PAGE_SIZE == 1000


def test_cursor_pages_neither_skip_nor_repeat_while_rows_arrive(coordinator, area):
    for _ in range(7):
        IncidentFactory(area=area)
    seen = []
    url = reverse("api:incident-list") + "?limit=3"
    while url:
        page = coordinator.get(url).json()
        seen += [row["uid"] for row in page["results"]]
        IncidentFactory(area=area)  # a partner reports while we page
        url = page["next"]
    assert len(seen) == len(set(seen)) == 7


def test_sync_oldest_first_sees_new_rows_at_the_end(coordinator, area):
    first = [IncidentFactory(area=area) for _ in range(3)]
    page = coordinator.get(reverse("api:incident-list") + "?limit=2&ordering=id").json()
    late = IncidentFactory(area=area)
    rest = coordinator.get(page["next"]).json()
    uids = [r["uid"] for r in page["results"] + rest["results"]]
    assert uids == [str(i.uid) for i in [*first, late]]


def test_areas_page_by_code_and_deletions_oldest_first(viewer, area):
    """Each list pages on the column its viewset declares, not the paginator's default (-id)."""
    from reports.services import incident_delete

    for code in ("UA97000000000000003", "UA97000000000000001", "UA97000000000000002"):
        AreaFactory(code=code)
    page = viewer.get(reverse("api:area-list") + "?limit=2").json()
    rest = viewer.get(page["next"]).json()
    listed = [row["code"] for row in page["results"] + rest["results"]]
    assert listed == sorted(listed) and len(listed) >= 4
    deleted = [IncidentFactory(area=area) for _ in range(3)]
    for incident in deleted:
        incident_delete(incident=incident)
    tombstones = viewer.get(reverse("api:deletion-list")).json()["results"]
    assert [row["uid"] for row in tombstones] == [str(incident.uid) for incident in deleted]


# --- filters ----------------------------------------------------------------------------------


@pytest.fixture
def tree(db):
    from locations.services import area_upsert

    country, _ = area_upsert(code="UA", name_uk="Україна", category="country")
    oblast, _ = area_upsert(code="UA63000000000041885", name_uk="Харківська", category="oblast", parent=country)
    raion, _ = area_upsert(code="UA63080000000045463", name_uk="Куп'янський", category="raion", parent=oblast)
    hromada, _ = area_upsert(code="UA63080090000011236", name_uk="Куп'янська", category="hromada", parent=raion)
    kupiansk, _ = area_upsert(
        code="UA63080090010026457", name_uk="Куп'янськ", category="city", parent=hromada, latitude=49.71,
        longitude=37.61, pcode="UA6308009001",
    )  # fmt: skip
    other_oblast, _ = area_upsert(code="UA23000000000064947", name_uk="Запорізька", category="oblast", parent=country)
    far, _ = area_upsert(
        code="UA23060070010010000", name_uk="Шевченкове", category="village",
        parent=area_upsert(code="UA23060070000010000", name_uk="Громада", category="hromada",
                           parent=area_upsert(code="UA23060000000010000", name_uk="Район", category="raion",
                                              parent=other_oblast)[0])[0],
        latitude=47.8, longitude=35.1,
    )  # fmt: skip
    return {"oblast": oblast, "raion": raion, "hromada": hromada, "kupiansk": kupiansk, "far": far}


def codes(response):
    assert response.status_code == 200, response.content
    return [row["code"] for row in response.json()["results"]]


def test_area_filters(viewer, tree):
    url = reverse("api:area-list")
    assert codes(viewer.get(url + "?within=UA63080000000045463&level=settlement")) == ["UA63080090010026457"]
    assert codes(viewer.get(url + "?parent=UA63080090000011236")) == ["UA63080090010026457"]
    assert codes(viewer.get(url + "?q=Kupyansk&level=settlement")) == ["UA63080090010026457"]
    # The city first; the raion and hromada whose names start with it follow (a search box).
    assert codes(viewer.get(url + "?q=Куп'янськ")) == [
        "UA63080090010026457",
        "UA63080090000011236",
        "UA63080000000045463",
    ]
    assert codes(viewer.get(url + "?near=49.7,37.6,5")) == ["UA63080090010026457"]
    assert codes(viewer.get(url + "?near=49.7,37.6,500")) == ["UA23060070010010000", "UA63080090010026457"]
    assert codes(viewer.get(url + "?category=village")) == ["UA23060070010010000"]


def test_has_active_order(viewer, tree):
    OrderFactory(area=tree["raion"], effective_from=datetime.date(2023, 8, 10))
    url = reverse("api:area-list") + "?level=settlement&has_active_order="
    assert codes(viewer.get(url + "true")) == ["UA63080090010026457"]
    assert codes(viewer.get(url + "false")) == ["UA23060070010010000"]


def test_has_active_order_at_every_depth_and_scope(viewer, tree):
    """An order covers its target, and the target's subtree only when it says so, however deep;
    orders not in force cover nothing."""
    url = reverse("api:area-list") + "?limit=100&has_active_order="
    every = {row["code"] for row in viewer.get(reverse("api:area-list") + "?limit=100").json()["results"]}
    assert set(codes(viewer.get(url + "true"))) == set()
    OrderFactory(area=tree["hromada"], scope="single")
    lifted = OrderFactory(area=tree["far"].parent.parent.parent)  # the other oblast, whole subtree
    order_lift(order=lifted)
    OrderFactory(area=tree["far"], effective_from=datetime.date.today() + datetime.timedelta(days=3))
    assert codes(viewer.get(url + "true")) == [tree["hromada"].code]
    OrderFactory(area=tree["oblast"])  # three levels above Kupiansk
    covered = {"UA63000000000041885", "UA63080000000045463", "UA63080090000011236", "UA63080090010026457"}
    assert set(codes(viewer.get(url + "true"))) == covered
    assert set(codes(viewer.get(url + "false"))) == every - covered
    OrderFactory(area=tree["oblast"].parent)  # the country: four levels above every village
    assert set(codes(viewer.get(url + "true"))) == every
    assert codes(viewer.get(url + "false")) == []


def test_incident_filters(coordinator, tree, own_org, staff_user):
    a = IncidentFactory(
        area=tree["kupiansk"], fatalities=3, fatalities_qualifier="exact", occurred_on=datetime.date(2023, 8, 1)
    )
    b = IncidentFactory(area=tree["far"], incident_type="missile_strike", occurred_on=datetime.date(2023, 9, 1),
                        reporting_organization=own_org)  # fmt: skip
    incident_review(incident=b, state="verified", actor=staff_user)
    url = reverse("api:incident-list") + "?"

    def uids(query):
        response = coordinator.get(url + query)
        assert response.status_code == 200, response.content
        return {row["uid"] for row in response.json()["results"]}

    assert uids("within=UA63000000000041885") == {str(a.uid)}
    assert uids("min_killed=2") == {str(a.uid)}
    assert uids("type=missile_strike") == {str(b.uid)}
    assert uids("occurred_after=2023-08-15") == {str(b.uid)}
    assert uids("occurred_before=2023-08-15") == {str(a.uid)}
    assert uids("verification_state=verified") == {str(b.uid)}
    assert uids("reporting_organization=own-org") == {str(b.uid)}
    assert uids("area=UA63080090010026457") == {str(a.uid)}
    since = coordinator.get(reverse("api:incident-detail", kwargs={"uid": b.uid})).json()["updated_at"]
    assert uids("updated_since=" + since.replace("+", "%2B")) == {str(b.uid)}


@pytest.mark.parametrize(("within", "index"), [("UA63000000000041885", "oblast"), ("UA63080000000045463", "raion")])
def test_incidents_within_an_oblast_or_raion_read_their_index_in_list_order(coordinator, tree, within, index):
    """`within` an oblast or a raion reads the incident's own oblast or raion (Incident.oblast)
    by the (oblast, id) or (raion, id) index: newest first, without sorting the subtree's
    incidents (200,000 under an oblast at national scale) or checking each one's area."""
    inside = [IncidentFactory(area=tree[name]) for name in ("raion", "kupiansk", "hromada")]
    IncidentFactory(area=tree["far"])
    with CaptureQueriesContext(connection) as queries:
        response = coordinator.get(reverse("api:incident-list") + f"?within={within}&limit=2")
    assert [row["uid"] for row in response.json()["results"]] == [str(inside[2].uid), str(inside[1].uid)]
    assert response.json()["next"]
    page = [query["sql"] for query in queries.captured_queries if "LIMIT" in query["sql"]][-1]  # the ids
    plan = query_plan(page)
    assert f"reports_incident_{index}" in plan and not sorts(plan), plan


def test_incidents_within_the_country_walk_the_list_order(coordinator, tree):
    """Above the oblasts, `within` is an EXISTS per incident (locations.models.InSubtree): the
    database walks incidents newest first and stops after a page."""
    inside = [IncidentFactory(area=tree[name]) for name in ("kupiansk", "far")]
    with CaptureQueriesContext(connection) as queries:
        response = coordinator.get(reverse("api:incident-list") + "?within=UA&limit=1")
    assert [row["uid"] for row in response.json()["results"]] == [str(inside[1].uid)]
    page = [query["sql"] for query in queries.captured_queries if "LIMIT" in query["sql"]][-1]
    assert "EXISTS" in page and not sorts(query_plan(page))


def test_order_filters(viewer, tree, coordinator):
    active = OrderFactory(area=tree["raion"], effective_from=datetime.date(2023, 8, 10))
    old = OrderFactory(area=tree["far"], effective_from=datetime.date(2022, 5, 1), kind="recommended",
                       effective_until=datetime.date(2022, 6, 1))  # fmt: skip
    url = reverse("api:order-list") + "?"

    def uids(query):
        response = viewer.get(url + query)
        assert response.status_code == 200, response.content
        return {row["uid"] for row in response.json()["results"]}

    assert uids("active=true") == {str(active.uid)}
    assert uids("active=false") == {str(old.uid)}
    assert uids("as_of=2022-05-15") == {str(old.uid)}
    assert uids("within=UA63000000000041885") == {str(active.uid)}
    assert uids("covers=UA63080090010026457") == {str(active.uid)}
    assert uids("kind=recommended") == {str(old.uid)}
    assert uids("population_group=everyone") == {str(active.uid), str(old.uid)}


def test_rows_by_id_keep_the_page_order_and_skip_rows_gone_since(area):
    """The list's second step: rows come back in the order of the page's ids, whatever order
    the database reads them in, and an id deleted since the first step is left out."""
    first, second, third = (IncidentFactory(area=area) for _ in range(3))
    statement = RowsById(lambda: Incident.objects.values("id", "summary"))
    wanted = [third.pk, first.pk, second.pk]
    assert [row["id"] for row in statement.rows(wanted)] == wanted
    Incident.objects.filter(pk=first.pk).delete()
    assert [row["id"] for row in statement.rows(wanted)] == [third.pk, second.pk]
    assert statement.rows([]) == []
    with pytest.raises(ValueError, match="must select `id`"):
        RowsById(lambda: Incident.objects.values("summary")).rows([third.pk])


def test_a_statement_compiled_once_runs_with_each_call_s_values(area):
    """The area lookup behind `within` and friends (locations.filtersets.AREA_BY_CODE) is such a
    statement. A value the ORM would rewrite (`startswith` adds a wildcard) cannot be put in
    its place later: refused when compiled."""
    statement = Statement(lambda code: Area.objects.filter(code=code).values("id"), "code")
    assert statement.run(code=area.code) == (["id"], [(area.pk,)])
    assert statement.run(code="UA00000000000000000")[1] == []
    assert statement.run(code=area.code)[1] == [(area.pk,)]
    with pytest.raises(ValueError, match="placeholder"):
        Statement(lambda code: Area.objects.filter(code__startswith=code).values("id"), "code").run(code="UA")


def test_incident_rows_read_related_rows_by_primary_key_whatever_the_statistics(coordinator, area):
    """The page's rows read their organization, area and sources by primary key. With joins,
    SQLite statistics taken while a table was tiny (ANALYZE) made it scan that whole table for
    every row once the table grew (a page hundreds of times slower with 20,000 sources).
    (Statistics this stale also let SQLite scan the three incidents here; the nightly
    statistics refresh keeps them current: evactrack.kernel.db.refresh_planner_statistics.)"""
    for _ in range(3):
        IncidentFactory(area=area)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")  # statistics of one-row organization and source tables
    with CaptureQueriesContext(connection) as queries:
        assert coordinator.get(reverse("api:incident-list") + "?limit=100").status_code == 200
    rows = queries.captured_queries[-1]["sql"]
    assert "json_each" in rows or "unnest" in rows, rows
    plan = query_plan(rows)
    # Scans of the page's ids and of a row's own citations, ordered for its JSON, are fine.
    fine = ("json_each", "reports_incident ", "SCAN items")
    scans = [line for line in plan.splitlines() if ("SCAN" in line or "Seq Scan" in line)
             and not any(name in line.replace("'", " ") for name in fine)]  # fmt: skip
    assert not scans, plan


# ?count=true: the number of matching rows, what the caller may see, bounded.


def test_count_is_the_rows_of_every_page_the_caller_may_see(api, area, other_org):
    for _ in range(3):
        IncidentFactory(area=area)  # unverified, reported by nobody: staff only
    for _ in range(2):
        IncidentFactory(area=area, reporting_organization=other_org)  # another organization's
    url = reverse("api:incident-list")
    for role, expected in ((Role.COORDINATOR, 5), (Role.PARTNER, 0), (Role.PARTNER, 2)):
        client = api(role, other_org) if expected == 2 else api(role)
        page = client.get(url, {"count": "true", "limit": 1}).json()
        assert (page["count"], page["count_is_lower_bound"]) == (expected, False)
        assert len(page["results"]) == min(expected, 1)
    filtered = api(Role.COORDINATOR).get(url, {"count": "true", "reporting_organization": other_org.slug}).json()
    assert filtered["count"] == 2


def test_count_beyond_the_cap_is_a_lower_bound(coordinator, area, monkeypatch):
    monkeypatch.setattr("evactrack.kernel.api.pagination.COUNT_MAX", 2)
    for _ in range(3):
        IncidentFactory(area=area)
    page = coordinator.get(reverse("api:incident-list"), {"count": "true"}).json()
    assert (page["count"], page["count_is_lower_bound"]) == (2, True)


@pytest.mark.parametrize("value", ["false", None])
def test_no_count_unless_asked(coordinator, area, value):
    params = {} if value is None else {"count": value}
    page = coordinator.get(reverse("api:area-list"), params).json()
    assert "count" not in page


def test_count_takes_true_or_false(coordinator):
    answer = coordinator.get(reverse("api:area-list"), {"count": "yes"})
    assert answer.status_code == 400
    assert "count" in answer.json()["fields"]
