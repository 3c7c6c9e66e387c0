"""The dashboard (map, counts per level, latest changes, job health), the area's status, and the
admin in Ukrainian."""

import pytest
from django.urls import reverse
from django.utils import translation

from evactrack.status.services import status_recompute_dirty, status_recompute_full
from reports.models import DirtyArea
from tests.admin.data import kupiansk_with_facts
from tests.html import links_to_other_hosts

pytestmark = pytest.mark.django_db


@pytest.fixture
def recomputed(db):
    data = kupiansk_with_facts()
    status_recompute_dirty()
    status_recompute_full()
    return data


def test_the_dashboard_shows_statuses_changes_and_job_health(admin_client_logged_in, recomputed):
    response = admin_client_logged_in.get(reverse("admin:evactrack_dashboard"))
    assert response.status_code == 200
    counts = {level["value"]: level["count"] for level in response.context["levels"]}
    assert counts["evacuation_mandatory"] >= 1
    assert [p["code"] for p in response.context["map_points"]] == [recomputed.city.code]
    assert response.context["last_run"] is not None and response.context["last_computed"] is not None
    assert response.context["dirty_waiting"] == DirtyArea.objects.count()
    page = response.content.decode()
    assert "leaflet/leaflet.js" in page
    assert links_to_other_hosts(page) == []
    assert "Kupiansk" in page  # in the latest changes


def test_the_dashboard_leads_with_the_settlements_spread_over_the_levels(admin_client_logged_in, recomputed):
    from locations.models import Area
    from locations.services import area_upsert

    # A second settlement in the hromada under the order, with a point and a count, and a village
    # in another oblast that nothing applies to; the hromada itself has a point too.
    village, _ = area_upsert(
        code="UA63080090020000001", category="village", name_uk="Ківшарівка", parent=recomputed.hromada,
        latitude=49.6, longitude=37.7,
    )  # fmt: skip
    other_oblast, _ = area_upsert(code="UA05000000000010236", name_uk="Вінницька", category="oblast",
                                  parent=recomputed.oblast.parent)  # fmt: skip
    area_upsert(code="UA05020010010000001", category="village", name_uk="Далеке", parent=other_oblast)
    Area.objects.filter(pk=recomputed.hromada.pk).update(latitude=49.7, longitude=37.6)
    status_recompute_dirty()
    status_recompute_full(every_area=True)

    response = admin_client_logged_in.get(reverse("admin:evactrack_dashboard"))
    spread = {row["value"]: row for row in response.context["settlement_levels"]}
    # Kupiansk and the village are under the hromada's mandatory order; the far village is normal.
    assert spread["evacuation_mandatory"]["settlements"] == 2
    assert spread["evacuation_mandatory"]["people"] == 12000
    assert spread["evacuation_mandatory"]["people_missing"] == 1
    assert spread["normal"]["settlements"] == 1
    assert spread["normal"]["people"] is None
    rows = {row["code"]: row for row in response.context["oblast_rows"]}
    assert rows[recomputed.oblast.code]["settlements"] == 2
    assert rows[other_oblast.code]["settlements"] == 1
    # Worst level first: no access, then mandatory.
    assert [cell["settlements"] for cell in rows[recomputed.oblast.code]["cells"]][:2] == [0, 2]
    assert next(iter(rows)) == recomputed.oblast.code, "the oblast with mandatory settlements comes first"
    # The map draws settlements only: the hromada's point would paint the whole hromada.
    assert sorted(p["code"] for p in response.context["map_points"]) == sorted([recomputed.city.code, village.code])
    page = response.content.decode()
    assert 'id="settlement-spread"' in page and 'id="oblast-spread"' in page


def test_staff_log_in_to_the_dashboard_and_are_offered_no_public_site(client, staff_user):
    login = reverse("admin:login")
    page = client.get(login)
    assert page.context["next"] == reverse("admin:evactrack_dashboard")
    # A page asked for still wins.
    asked = reverse("admin:reports_incident_changelist")
    assert client.get(login, {"next": asked}).context["next"] == asked
    response = client.post(
        login, {"username": "coordinator", "password": "a-long-test-password", "next": page.context["next"]}
    )
    assert response.status_code == 302 and response["Location"] == reverse("admin:evactrack_dashboard")
    index = client.get(reverse("admin:index")).content.decode()
    assert "View site" not in index


def test_changes_are_dated_from_when_they_took_effect_and_same_level_steps_are_left_out(
    admin_client_logged_in, recomputed
):
    import datetime

    from evactrack.status.models import StatusChange
    from tests.factories import OrderFactory

    # Live rows, judged today: the city turned mandatory by the hromada's order of 2023-08-10.
    first = StatusChange.objects.get(area=recomputed.city, level="evacuation_mandatory")
    assert first.origin == "live" and first.as_of > datetime.date(2026, 1, 1)
    assert first.took_effect_on == datetime.date(2023, 8, 10)
    # A second mandatory order at the same level: a step of the history, not a change of level.
    OrderFactory(area=recomputed.city, source=recomputed.source, title="Second order",
                 effective_from=datetime.date(2023, 9, 1))  # fmt: skip
    status_recompute_dirty()
    same_level = StatusChange.objects.filter(area=recomputed.city).latest("id")
    assert (same_level.previous_level, same_level.level) == ("evacuation_mandatory", "evacuation_mandatory")

    dashboard = admin_client_logged_in.get(reverse("admin:evactrack_dashboard"))
    shown = list(dashboard.context["latest_changes"])
    assert first in shown and same_level not in shown
    assert "2023-08-10" in dashboard.content.decode()
    page = admin_client_logged_in.get(reverse("admin:locations_area_change", args=[recomputed.city.pk]))
    assert list(page.context["status_timeline"]) == [first]
    assert page.context["status_steps"] == StatusChange.objects.filter(area=recomputed.city).count() >= 2


def test_areas_without_a_stored_status_count_as_normal(admin_client_logged_in, recomputed):
    from locations.models import Area
    from locations.services import area_upsert

    # The engine stores a row only for areas it had reason to judge; a new area has none yet.
    area_upsert(code="UA63080090030000001", category="village", name_uk="Нове", parent=recomputed.city.parent)
    response = admin_client_logged_in.get(reverse("admin:evactrack_dashboard"))
    counts = {level["value"]: level["count"] for level in response.context["levels"]}
    assert sum(counts.values()) == Area.objects.count()
    assert counts["normal"] == Area.objects.count() - sum(n for level, n in counts.items() if level != "normal")


def test_the_area_page_shows_its_status_with_reasons_and_timeline(admin_client_logged_in, recomputed):
    response = admin_client_logged_in.get(reverse("admin:locations_area_change", args=[recomputed.city.pk]))
    assert response.context["area_status"].level == "evacuation_mandatory"
    page = response.content.decode()
    assert 'id="area-status"' in page and 'id="status-timeline"' in page
    assert "Mandatory evacuation of Kupiansk hromada" in page


def test_the_admin_follows_the_browser_language(admin_client_logged_in, recomputed, ukrainian_catalog):
    response = admin_client_logged_in.get(
        reverse("admin:reports_incident_changelist"), headers={"accept-language": "uk"}
    )
    page = response.content.decode()
    assert "Інциденти" in page or "інциденти" in page
    assert "обстріл або артилерія" in page  # a choice of ours
    assert "Перевірити файл" not in page  # (the import page's button is elsewhere)


def test_the_language_switch_sticks(admin_client_logged_in, recomputed, ukrainian_catalog):
    switched = admin_client_logged_in.post(reverse("set_language"), {"language": "uk", "next": "/admin/"})
    assert switched.status_code == 302
    page = admin_client_logged_in.get(reverse("admin:locations_area_change", args=[recomputed.city.pk])).content
    assert "Розпорядження про евакуацію, що охоплюють цю територію" in page.decode()
    translation.activate("en")


def test_every_message_of_the_catalog_is_translated(ukrainian_catalog):
    import polib

    catalog = polib.pofile(str(ukrainian_catalog.with_suffix(".po")))
    missing = [entry.msgid for entry in catalog.untranslated_entries() + catalog.fuzzy_entries()]
    assert missing == []
