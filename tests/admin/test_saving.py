"""Saving in the admin goes through the services: their errors show on the form, field by field,
nothing is written on an error, and a good edit marks the touched areas dirty like any write."""

from unittest import mock

import pytest
from django.urls import reverse

from reports.admin.incidents import IncidentAdmin
from reports.models import Citation, DirtyArea, EvacuationOrder, Incident
from reports.services import incident_update
from tests.admin.data import kupiansk_with_facts
from tests.admin.helpers import form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def kupiansk(db):
    data = kupiansk_with_facts()
    DirtyArea.objects.all().delete()  # the setup's own marks would hide the admin's
    return data


def change_url(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def test_an_edit_goes_through_the_service_and_marks_the_area_dirty(admin_client_logged_in, kupiansk, staff_user):
    url = change_url(kupiansk.incident)
    data = form_data(admin_client_logged_in.get(url))
    data["injured"], data["injured_qualifier"] = "5", "at_least"
    with mock.patch.object(IncidentAdmin, "update_service", wraps=incident_update) as service:
        response = admin_client_logged_in.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    # Dry run, then the real call; both with only what the user changed.
    assert service.call_count == 2
    assert {"injured", "injured_qualifier"} <= set(service.call_args.kwargs)
    assert "fatalities" not in service.call_args.kwargs
    incident = Incident.objects.get(pk=kupiansk.incident.pk)
    assert (incident.injured, incident.injured_qualifier) == (5, "at_least")
    assert DirtyArea.objects.filter(area=kupiansk.city).exists()
    assert incident.history.first().history_user == staff_user


def test_an_invalid_value_shows_the_field_error_and_changes_nothing(admin_client_logged_in, kupiansk):
    url = change_url(kupiansk.incident)
    data = form_data(admin_client_logged_in.get(url))
    data["children_killed"], data["children_killed_qualifier"] = "7", "exact"  # more than the 2 killed
    history_before = kupiansk.incident.history.count()
    response = admin_client_logged_in.post(url, data)
    assert response.status_code == 200
    assert "children_killed" in response.context["adminform"].form.errors
    incident = Incident.objects.get(pk=kupiansk.incident.pk)
    assert incident.children_killed is None
    assert incident.history.count() == history_before
    assert not DirtyArea.objects.exists()


def test_an_error_only_the_service_knows_is_shown_on_its_field(admin_client_logged_in, kupiansk):
    """A city cannot hang under a raion: the form accepts it, the service refuses it."""
    url = change_url(kupiansk.city)
    data = form_data(admin_client_logged_in.get(url))
    data["parent"] = str(kupiansk.raion.pk)
    response = admin_client_logged_in.post(url, data)
    assert response.status_code == 200
    assert "parent" in response.context["adminform"].form.errors
    kupiansk.city.refresh_from_db()
    assert kupiansk.city.parent == kupiansk.hromada


def incident_add_data(kupiansk, *, citations=1):
    data = {
        "incident_type": "shelling",
        "summary": "Strike on a school.",
        "occurred_on": "2023-08-12",
        "occurred_on_precision": "day",
        "kind": "event",
        "area": str(kupiansk.city.pk),
        "geo_precision": "admin_area",
        "fatalities": "1",
        "fatalities_qualifier": "exact",
        "citations-TOTAL_FORMS": str(citations),
        "citations-INITIAL_FORMS": "0",
        "citations-MIN_NUM_FORMS": "1",
        "citations-MAX_NUM_FORMS": "1000",
    }
    for index in range(citations):
        data[f"citations-{index}-source"] = str(kupiansk.source.pk)
        data[f"citations-{index}-locator"] = f"¶{index + 5}"
    return data


def test_adding_an_incident_creates_it_with_its_citations(admin_client_logged_in, kupiansk, staff_user):
    response = admin_client_logged_in.post(reverse("admin:reports_incident_add"), incident_add_data(kupiansk))
    assert response.status_code == 302, response.context["errors"]
    incident = Incident.objects.get(summary="Strike on a school.")
    assert [(c.source, c.locator) for c in incident.citations.all()] == [(kupiansk.source, "¶5")]
    assert incident.created_by == staff_user
    assert DirtyArea.objects.filter(area=kupiansk.city).exists()


def test_the_incident_form_takes_the_kind_the_discovery_and_the_civilians(admin_client_logged_in, kupiansk):
    data = incident_add_data(kupiansk) | {
        "kind": "pattern",
        "occurred_until": "2023-08-20",
        "discovered_on": "2023-08-21",
        "civilians_killed": "2",  # one killed in all
        "civilians_killed_qualifier": "exact",
    }
    response = admin_client_logged_in.post(reverse("admin:reports_incident_add"), data)
    assert response.status_code == 200
    assert "civilians_killed" in response.context["adminform"].form.errors
    response = admin_client_logged_in.post(reverse("admin:reports_incident_add"), data | {"civilians_killed": "1"})
    assert response.status_code == 302, response.context["errors"]
    incident = Incident.objects.get(summary="Strike on a school.")
    assert (incident.kind, str(incident.discovered_on), incident.civilians_killed) == ("pattern", "2023-08-21", 1)


def test_an_incident_without_a_source_is_refused(admin_client_logged_in, kupiansk):
    before = Incident.objects.count()
    response = admin_client_logged_in.post(
        reverse("admin:reports_incident_add"), incident_add_data(kupiansk, citations=0)
    )
    assert response.status_code == 200
    assert response.context["errors"]
    assert Incident.objects.count() == before


def test_removing_the_last_citation_is_refused(admin_client_logged_in, kupiansk):
    url = change_url(kupiansk.incident)
    data = form_data(admin_client_logged_in.get(url))
    data["citations-0-DELETE"] = "on"
    response = admin_client_logged_in.post(url, data)
    assert response.status_code == 200
    assert Citation.objects.filter(incident=kupiansk.incident).count() == 1


def test_adding_an_order_with_targets_marks_the_subtree_dirty(admin_client_logged_in, kupiansk):
    data = {
        "title": "Children must leave Kupiansk",
        "issuing_authority": "Kharkiv oblast military administration",
        "summary": "Mandatory evacuation of families with children.",
        "kind": "mandatory",
        "population_group": "children_with_guardians",
        "effective_from": "2023-08-18",
        "effective_from_precision": "day",
        "state": "active",
        "children_subject": "600",
        "children_subject_qualifier": "at_least",
        "targets-TOTAL_FORMS": "1",
        "targets-INITIAL_FORMS": "0",
        "targets-0-area": str(kupiansk.hromada.pk),
        "targets-0-scope": "subtree",
        "citations-TOTAL_FORMS": "1",
        "citations-INITIAL_FORMS": "0",
        "citations-0-source": str(kupiansk.source.pk),
        "citations-0-locator": "¶3",
    }
    response = admin_client_logged_in.post(reverse("admin:reports_evacuationorder_add"), data)
    assert response.status_code == 302, response.context["errors"]
    order = EvacuationOrder.objects.get(title="Children must leave Kupiansk")
    assert [t.area for t in order.targets.all()] == [kupiansk.hromada]
    assert set(DirtyArea.objects.values_list("area_id", flat=True)) == {kupiansk.hromada.pk, kupiansk.city.pk}


def test_an_order_keeps_at_least_one_target(admin_client_logged_in, kupiansk):
    url = change_url(kupiansk.order)
    data = form_data(admin_client_logged_in.get(url))
    data["targets-0-DELETE"] = "on"
    response = admin_client_logged_in.post(url, data)
    assert response.status_code == 200
    assert kupiansk.order.targets.count() == 1


def test_an_order_edit_keeps_its_targets_and_sources(admin_client_logged_in, kupiansk):
    url = change_url(kupiansk.order)
    data = form_data(admin_client_logged_in.get(url))
    data["people_subject"] = "11500"
    response = admin_client_logged_in.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    order = EvacuationOrder.objects.get(pk=kupiansk.order.pk)
    assert order.people_subject == 11500
    assert order.targets.count() == 1 and order.citations.count() == 1


def test_deleting_an_incident_goes_through_the_service(admin_client_logged_in, kupiansk):
    url = reverse("admin:reports_incident_delete", args=[kupiansk.incident.pk])
    response = admin_client_logged_in.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Incident.objects.filter(pk=kupiansk.incident.pk).exists()
    assert DirtyArea.objects.filter(area=kupiansk.city).exists()


def test_history_is_shown_but_cannot_be_reverted(admin_client_logged_in, kupiansk):
    record = kupiansk.incident.history.first()
    url = reverse("admin:reports_incident_simple_history", args=[kupiansk.incident.pk, record.history_id])
    assert admin_client_logged_in.get(url).status_code == 200
    assert admin_client_logged_in.post(url, {}).status_code == 403


def test_a_source_is_saved_through_its_service(admin_client_logged_in, kupiansk):
    url = change_url(kupiansk.source)
    data = form_data(admin_client_logged_in.get(url))
    data["publisher"] = "Another Wire"
    response = admin_client_logged_in.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    kupiansk.source.refresh_from_db()
    assert kupiansk.source.publisher == "Another Wire"
    assert kupiansk.source.history.first().history_user is not None


def test_a_source_date_without_a_precision_is_a_day(admin_client_logged_in, kupiansk):
    url = change_url(kupiansk.source)
    data = form_data(admin_client_logged_in.get(url)) | {"published_on": "2023-08-10", "published_on_precision": ""}
    response = admin_client_logged_in.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    kupiansk.source.refresh_from_db()
    assert (kupiansk.source.published_on.isoformat(), kupiansk.source.published_on_precision) == ("2023-08-10", "day")


def test_the_order_form_previews_what_its_targets_cover(admin_client_logged_in, kupiansk):
    url = reverse("admin:reports_evacuationorder_coverage")
    response = admin_client_logged_in.get(url, {"target": [f"{kupiansk.hromada.pk}:subtree"]})
    assert response.json() | {"targets": None} == {
        "targets": None,
        "settlements": 1,
        "people": 12000,
        "people_missing": 0,
        "children": None,  # no source gave it: unknown, not zero
        "children_missing": 1,
    }
    single = admin_client_logged_in.get(url, {"target": [f"{kupiansk.hromada.pk}:single"]}).json()
    assert single["settlements"] == 0 and single["people"] is None
    page = admin_client_logged_in.get(reverse("admin:reports_evacuationorder_add")).content.decode()
    assert 'id="order-coverage"' in page and "order_coverage.js" in page


def test_area_choices_name_their_parent_and_code(admin_client_logged_in, kupiansk):
    response = admin_client_logged_in.get(
        reverse("admin:autocomplete"),
        {"term": "Kupyansk", "app_label": "reports", "model_name": "ordertarget", "field_name": "area"},
    )
    first = response.json()["results"][0]
    assert first["id"] == str(kupiansk.city.pk)
    # Kind, hromada, raion, oblast (the country left out), then the code.
    assert first["text"] == (
        f"Kupiansk (Куп'янськ) — city · {kupiansk.hromada.name_en} · {kupiansk.raion.name_en} · "
        f"{kupiansk.oblast.name_en} · {kupiansk.city.code}"
    )
    in_ukrainian = admin_client_logged_in.get(
        reverse("admin:autocomplete"),
        {"term": "Kupyansk", "app_label": "reports", "model_name": "ordertarget", "field_name": "area"},
        headers={"accept-language": "uk"},
    )
    assert in_ukrainian.json()["results"][0]["text"].startswith("Куп'янськ (Kupiansk) — ")
    assert kupiansk.oblast.name_uk in in_ukrainian.json()["results"][0]["text"]


def test_area_choices_offer_names_typed_in_part_and_read_a_raion_without_a_comma(admin_client_logged_in, kupiansk):
    from locations.services import area_upsert

    village, _ = area_upsert(code="UA63080090020000001", category="village", name_uk="Ківшарівка",
                             parent=kupiansk.hromada)  # fmt: skip
    # A near spelling of "Kivsh" that the resolver alone would rank first.
    area_upsert(code="UA80000000000093317", category="special_status_city", name_uk="Київ", name_en="Kyiv",
                parent=kupiansk.oblast.parent)  # fmt: skip

    def offered(term):
        response = admin_client_logged_in.get(
            reverse("admin:autocomplete"),
            {"term": term, "app_label": "reports", "model_name": "ordertarget", "field_name": "area"},
        )
        return [result["id"] for result in response.json()["results"]]

    assert offered("Kivsh")[0] == str(village.pk)  # still typing: the village, not a near spelling
    assert offered("Kivsharivka Kupianskyi")[0] == str(village.pk)  # "name raion" without a comma


def test_counts_are_corrected_inline_on_the_area_page(admin_client_logged_in, kupiansk, staff_user):
    url = change_url(kupiansk.city)
    data = form_data(admin_client_logged_in.get(url))
    prefix = next(key[: -len("-TOTAL_FORMS")] for key in data if key.endswith("TOTAL_FORMS") and "population" in key)
    data[f"{prefix}-0-total"], data[f"{prefix}-0-total_qualifier"] = "11800", "approximate"
    response = admin_client_logged_in.post(url, data)
    assert response.status_code == 302, response.context["errors"]
    kupiansk.count.refresh_from_db()
    assert (kupiansk.count.total, kupiansk.count.total_qualifier) == (11800, "approximate")
    assert kupiansk.count.history.first().history_user == staff_user
    assert DirtyArea.objects.filter(area=kupiansk.city).exists()


def test_an_impossible_inline_count_is_refused(admin_client_logged_in, kupiansk):
    url = change_url(kupiansk.city)
    data = form_data(admin_client_logged_in.get(url))
    prefix = next(key[: -len("-TOTAL_FORMS")] for key in data if key.endswith("TOTAL_FORMS") and "population" in key)
    data[f"{prefix}-0-children"], data[f"{prefix}-0-children_qualifier"] = "20000", "exact"
    response = admin_client_logged_in.post(url, data)
    assert response.status_code == 200
    kupiansk.count.refresh_from_db()
    assert kupiansk.count.children is None


def test_lifting_orders_in_bulk_goes_through_order_lift(admin_client_logged_in, kupiansk, staff_user):
    from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME

    response = admin_client_logged_in.post(
        reverse("admin:reports_evacuationorder_changelist"),
        {"action": "lift_selected", ACTION_CHECKBOX_NAME: [str(kupiansk.order.pk)], "index": "0"},
    )
    assert response.status_code == 302
    order = EvacuationOrder.objects.get(pk=kupiansk.order.pk)
    assert order.state == "lifted" and order.lifted_on is not None
    assert order.history.first().history_user == staff_user
    assert DirtyArea.objects.filter(area=kupiansk.city).exists()


def test_an_organization_is_added_and_renamed_through_the_service(client, django_user_model):
    from evactrack.access.models import Organization

    admin_user = django_user_model.objects.create_superuser("root", "root@example.org", "a-long-test-password")
    client.force_login(admin_user)
    response = client.post("/admin/api/organization/add/", {"name": "Field NGO", "slug": "field-ngo", "kind": "ngo"})
    assert response.status_code == 302, response.content
    organization = Organization.objects.get(slug="field-ngo")
    response = client.post(
        f"/admin/api/organization/{organization.pk}/change/", {"name": "Field NGO Ukraine", "kind": "ngo"}
    )
    assert response.status_code == 302
    organization.refresh_from_db()
    assert organization.name == "Field NGO Ukraine"
    response = client.post("/admin/api/organization/add/", {"name": "Bad\x00", "slug": "bad", "kind": "ngo"})
    assert response.status_code == 200 and not Organization.objects.filter(slug="bad").exists()
