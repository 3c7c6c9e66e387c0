"""The admin in a real browser: log in, verify from the queue, create an order by typing a
spelling, see the status change after a recompute, switch to Ukrainian, screenshot the dashboard."""

import datetime
from pathlib import Path

import pytest
from django.conf import settings

from evactrack.access.choices import Role
from evactrack.access.services import membership_set
from evactrack.status.models import AreaStatus
from evactrack.status.services import status_recompute_dirty, status_recompute_full
from evactrack.status.tasks import recompute_dirty
from reports.models import EvacuationOrder, Incident
from reports.services import order_lift
from tests.admin.data import kupiansk_with_facts
from tests.browser.conftest import PASSWORD, log_in
from tests.celery_processes import wait_for
from tests.conftest import SUITE_CHECKS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "screenshots"


@pytest.fixture
def kupiansk(django_user_model):
    """The article facts, and a coordinator as a deployment makes one: staff, not a superuser,
    with a coordinator's membership, which brings the Coordinator group's permissions only."""
    facts = kupiansk_with_facts()
    user = django_user_model.objects.create_user("coordinator", password=PASSWORD, is_staff=True)
    membership_set(user=user, organization=facts.organization, role=Role.COORDINATOR)
    return facts


def test_log_in_and_verify_an_incident_from_the_queue(page, kupiansk):
    log_in(page)
    page.goto(f"{page.base_url}/admin/reports/incident/?verification_state__exact=reported")
    page.check(f"input.action-select[value='{kupiansk.incident.pk}']")
    page.select_option("select[name=action]", "verify_selected")
    page.click("button[name=index]")
    page.wait_for_selector(".messagelist .success")
    assert Incident.objects.get(pk=kupiansk.incident.pk).verification_state == "verified"


def choose(page, select_name, typed, expected):
    """Pick in an admin autocomplete (Select2) by typing, as a person would."""
    page.click(f"select[name='{select_name}'] + .select2 .select2-selection")
    page.fill(".select2-container--open .select2-search__field", typed)
    option = page.locator(".select2-results__option", has_text=expected).first
    option.wait_for()
    option.click()


@pytest.fixture
def worker(request):
    """A real Celery worker process when this run has PostgreSQL and Redis; else None, and the
    test runs the worker's task in its own process (SQLite's test database is not shareable)."""
    if SUITE_CHECKS["worker"]():
        return None
    request.getfixturevalue("clean_broker")
    return request.getfixturevalue("processes")("worker")


def test_create_an_order_by_typing_kupyansk_and_see_the_status_change(page, kupiansk, worker):
    # The hromada's order for everyone lifted: only the order typed below will oblige anyone.
    order_lift(order=kupiansk.order, lifted_on=datetime.date(2023, 8, 17))
    status_recompute_dirty()  # the status before the new order
    assert not AreaStatus.objects.filter(area=kupiansk.city, level="evacuation_mandatory").exists()
    log_in(page)
    page.goto(f"{page.base_url}/admin/reports/evacuationorder/add/")
    page.fill("#id_title", "Families with children must leave Kupiansk")
    page.fill("#id_issuing_authority", "Kharkiv oblast military administration")
    page.fill("#id_summary", "Mandatory evacuation of families with children.")
    page.select_option("#id_kind", "mandatory")
    page.select_option("#id_population_group", "children_with_guardians")
    page.fill("#id_effective_from", "2023-08-18")
    choose(page, "targets-0-area", "Kupyansk", kupiansk.city.code)
    page.select_option("select[name='targets-0-scope']", "single")
    # The form says what the order covers before anything is saved.
    page.wait_for_function("document.getElementById('order-coverage-text').dataset.settlements === '1'")
    assert "12,000" in page.inner_text("#order-coverage-text") or "12000" in page.inner_text("#order-coverage-text")
    choose(page, "citations-0-source", "Kupiansk evacuation", "Kupiansk evacuation report")
    page.fill("input[name='citations-0-locator']", "¶4")
    page.click("input[name=_save]")
    page.wait_for_selector(".messagelist .success")
    order = EvacuationOrder.objects.get(title="Families with children must leave Kupiansk")
    assert [(t.area, t.scope) for t in order.targets.all()] == [(kupiansk.city, "single")]

    # The order's save marked the city dirty and enqueued the recompute on commit.
    if worker is None:
        recompute_dirty()
    wait_for(
        lambda: AreaStatus.objects.filter(area=kupiansk.city, level="evacuation_mandatory").exists(),
        what="the worker's recompute of Kupiansk",
    )
    page.goto(f"{page.base_url}/admin/locations/area/{kupiansk.city.pk}/change/")
    assert "evacuation mandatory" in page.inner_text("#area-status h2").lower()
    # A children-only order: the page says who must leave, not that everyone must.
    assert "children" in page.inner_text("#who-must-leave").lower()
    status = AreaStatus.objects.get(area=kupiansk.city)
    assert status.level_for_everyone != "evacuation_mandatory"
    assert status.group_levels == {"children_with_guardians": "evacuation_mandatory"}
    assert "Families with children must leave Kupiansk" in page.inner_text("#area-orders")


def test_switch_the_admin_to_ukrainian(page, kupiansk):
    log_in(page)
    page.select_option("#language-select", "uk")
    page.wait_for_load_state()
    page.wait_for_selector("text=Відстеження евакуації")
    page.goto(f"{page.base_url}/admin/reports/incident/")
    assert "обстріл або артилерія" in page.content()


def test_dashboard_screenshot(page, kupiansk):
    status_recompute_full()
    log_in(page)
    page.goto(f"{page.base_url}/admin/dashboard/")
    page.wait_for_selector("#status-map .leaflet-interactive")  # a status drawn on the map
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / "dashboard.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
