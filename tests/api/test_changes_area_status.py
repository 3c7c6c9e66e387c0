"""Area statuses in the change feed: one entry per status a recompute changed, none for a
recompute that changed nothing, and each entry's data the status endpoint's body for its caller."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from evactrack.access.choices import Role
from evactrack.status.models import AreaStatus
from evactrack.status.services import status_recompute_dirty, status_recompute_full
from locations.models import Area
from reports.models import Change
from tests.api.test_changes import read_all
from tests.factories import AreaFactory, DesignationFactory, PopulationCountFactory, default_hromada

pytestmark = pytest.mark.django_db


def status_body(client, code) -> dict:
    response = client.get(reverse("api:area-status", kwargs={"code": code}))
    assert response.status_code == 200, response.content
    return response.json()


@pytest.fixture
def villages(source):
    """A hromada with three villages, one holding a small (withheld) children count."""
    hromada = default_hromada()
    villages = [AreaFactory(parent=hromada) for _n in range(3)]
    counted = {
        "kind": "present",
        "total": 120,
        "total_qualifier": "exact",
        "children": 4,
        "children_qualifier": "exact",
    }
    PopulationCountFactory(area=villages[0], source=source, reference_date=datetime.date(2023, 8, 1), **counted)
    status_recompute_full()
    return hromada, villages


@pytest.mark.parametrize("recompute", ["dirty", "full"])
def test_one_entry_per_changed_status_with_the_status_endpoints_body(api, source, villages, recompute):
    hromada, villages = villages
    clients = {"partner": api(Role.PARTNER), "coordinator": api(Role.COORDINATOR)}
    codes = list(Area.objects.values_list("code", flat=True))
    before = {name: {code: status_body(client, code) for code in codes} for name, client in clients.items()}
    positions = {name: read_all(client, types="area_status")[1] for name, client in clients.items()}

    DesignationFactory(area=villages[0], source=source, valid_from=datetime.date(2023, 1, 1))
    report = status_recompute_dirty() if recompute == "dirty" else status_recompute_full()
    assert report.rows_written > 0

    for name, client in clients.items():
        after = {code: status_body(client, code) for code in codes}
        changed = {code for code in codes if after[code] != before[name][code]}
        # The village, and everything above it whose status moved with it; not its neighbours.
        assert villages[0].code in changed and hromada.code in changed, name
        assert villages[1].code not in changed, name
        told = read_all(client, after=positions[name], types="area_status")[0]
        assert sorted(entry["uid"] for entry in told) == sorted(changed), name
        for entry in told:
            assert (entry["type"], entry["action"]) == ("area_status", "upsert")
            assert entry["data"] == after[entry["uid"]], (name, entry["uid"])
    # The partner's copy withholds the small count as the endpoint does; the coordinator's does not.
    partner_village = next(e for e in read_all(clients["partner"])[0] if e["uid"] == villages[0].code)["data"]
    coordinator_village = next(e for e in read_all(clients["coordinator"])[0] if e["uid"] == villages[0].code)["data"]
    assert partner_village["figures"]["children_present"] is None
    assert partner_village["withheld"] == ["children_present"]
    assert coordinator_village["figures"]["children_present"] == 4


def test_an_unchanged_recompute_writes_no_entry(villages):
    written = Change.objects.filter(type="area_status").count()
    assert written == AreaStatus.objects.count() > 0
    report = status_recompute_full(every_area=True)
    assert report.rows_written == 0
    assert Change.objects.filter(type="area_status").count() == written


def test_entries_are_written_in_one_insert_per_batch(source, villages):
    _hromada, villages = villages
    DesignationFactory(area=villages[1], source=source, valid_from=datetime.date(2023, 1, 1))
    with CaptureQueriesContext(connection) as captured:
        report = status_recompute_full(every_area=True)
    inserts = [q["sql"] for q in captured.captured_queries if q["sql"].startswith('INSERT INTO "reports_change"')]
    assert report.rows_written > 1
    assert len(inserts) == 1, inserts


def test_a_page_of_statuses_costs_the_same_queries_for_1_and_many(coordinator, source):
    def queries(after) -> tuple[int, int]:
        with CaptureQueriesContext(connection) as captured:
            response = coordinator.get(reverse("api:change-list"), {"after": after, "types": "area_status"})
        assert response.status_code == 200
        return len(captured), len(response.json()["results"])

    hromada = default_hromada()
    coordinator.get(reverse("api:change-list"))  # the token's first use, and the stamp of what is there
    first = AreaFactory(parent=hromada)
    position = read_all(coordinator)[1]
    DesignationFactory(area=first, source=source, valid_from=datetime.date(2023, 1, 1))
    status_recompute_full()
    few, few_rows = queries(position)
    position = read_all(coordinator)[1]
    for _n in range(20):
        DesignationFactory(area=AreaFactory(parent=hromada), source=source, valid_from=datetime.date(2023, 1, 1))
    status_recompute_full()
    many, many_rows = queries(position)
    assert (few_rows, many_rows) == (5, 24)  # the villages, and once each the hromada, raion, oblast, country
    assert few == many
