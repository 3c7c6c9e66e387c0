"""Every model of our apps has an admin whose list, search and pages load for a coordinator."""

import re
import uuid
from pathlib import Path

import pytest
from django.apps import apps
from django.contrib import admin
from django.urls import reverse

from tests.admin.data import KUPIANSK_CODE, kupiansk_with_facts

pytestmark = pytest.mark.django_db

OUR_APPS = ("locations", "reports")


@pytest.fixture
def kupiansk(db):
    return kupiansk_with_facts()


def instance_of(model, data):
    """One stored row of each model, from the Kupiansk data."""
    from reports.models import Change, Citation, DirtyArea, DirtyRecomputeRequest, OrderTarget, Tombstone

    by_model = {
        "area": data.city,
        "areaalias": data.city.aliases.first(),
        "organization": data.organization,
        "source": data.source,
        "incident": data.incident,
        "evacuationorder": data.order,
        "ordertarget": OrderTarget.objects.first(),
        "populationcount": data.count,
        "controldesignation": data.designation,
        "citation": Citation.objects.first(),
        "dirtyarea": DirtyArea.objects.first(),
        "dirtyrecomputerequest": DirtyRecomputeRequest.objects.get_or_create(pk=1)[0],
        "tombstone": Tombstone.objects.create(resource="incident", uid=uuid.uuid4()),
        "change": Change.objects.first(),
    }
    return by_model[model._meta.model_name]


def our_models():
    return [
        model
        for app in OUR_APPS
        for model in apps.get_app_config(app).get_models()
        if not model._meta.model_name.startswith("historical")
    ]


def test_every_model_of_our_apps_is_registered():
    missing = [model._meta.label for model in our_models() if model not in admin.site._registry]
    assert missing == []


@pytest.mark.parametrize("model", our_models(), ids=lambda model: model._meta.label)
def test_changelist_search_and_change_page_load(admin_client_logged_in, kupiansk, model):
    opts = model._meta
    changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
    assert admin_client_logged_in.get(changelist).status_code == 200
    if admin.site._registry[model].search_fields:
        assert admin_client_logged_in.get(changelist, {"q": "Kupiansk"}).status_code == 200
    obj = instance_of(model, kupiansk)
    change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
    assert admin_client_logged_in.get(change).status_code == 200
    if hasattr(model, "history"):
        history = reverse(f"admin:{opts.app_label}_{opts.model_name}_history", args=[obj.pk])
        assert admin_client_logged_in.get(history).status_code == 200


@pytest.mark.parametrize(
    "model_name",
    [
        "locations.area",
        "reports.source",
        "reports.incident",
        "reports.evacuationorder",
        "reports.populationcount",
        "reports.controldesignation",
    ],
)
def test_add_pages_load(admin_client_logged_in, model_name):
    app_label, name = model_name.split(".")
    assert admin_client_logged_in.get(reverse(f"admin:{app_label}_{name}_add")).status_code == 200


@pytest.mark.parametrize("spelling", ["Kupiansk", "Kupyansk", "Куп'янськ", "kup'yansk", KUPIANSK_CODE[:9]])
def test_area_search_finds_kupiansk_by_any_spelling(admin_client_logged_in, kupiansk, spelling):
    response = admin_client_logged_in.get(reverse("admin:locations_area_changelist"), {"q": spelling})
    assert kupiansk.city in list(response.context["cl"].result_list)


def test_area_autocomplete_finds_kupiansk_by_another_spelling(admin_client_logged_in, kupiansk):
    response = admin_client_logged_in.get(
        reverse("admin:autocomplete"),
        {"term": "Kupyansk", "app_label": "reports", "model_name": "ordertarget", "field_name": "area"},
    )
    assert response.status_code == 200
    assert str(kupiansk.city.pk) in [result["id"] for result in response.json()["results"]]


def test_incident_search_by_area_name(admin_client_logged_in, kupiansk):
    response = admin_client_logged_in.get(reverse("admin:reports_incident_changelist"), {"q": "Kupiansk"})
    assert list(response.context["cl"].result_list) == [kupiansk.incident]


def test_area_page_shows_its_orders_incidents_counts_and_designations_with_sources(admin_client_logged_in, kupiansk):
    response = admin_client_logged_in.get(reverse("admin:locations_area_change", args=[kupiansk.city.pk]))
    page = response.content.decode()
    # The order targets the hromada's whole subtree, so it covers the city.
    assert "Mandatory evacuation of Kupiansk hromada" in page
    assert "Shelling of the city centre." in page
    assert "12000" in page
    assert "Occupied." in page
    assert page.count("Kupiansk evacuation report") >= 4  # each fact shows its source
    assert "¶1" in page


def test_subtree_filter_keeps_facts_below_the_area(admin_client_logged_in, kupiansk):
    url = reverse("admin:reports_incident_changelist")
    inside = admin_client_logged_in.get(url, {"within": kupiansk.raion.code})
    assert list(inside.context["cl"].result_list) == [kupiansk.incident]
    orders = admin_client_logged_in.get(
        reverse("admin:reports_evacuationorder_changelist"), {"within": kupiansk.oblast.code}
    )
    assert list(orders.context["cl"].result_list) == [kupiansk.order]
    elsewhere = admin_client_logged_in.get(url, {"within": "UA98000000000000001"})
    assert list(elsewhere.context["cl"].result_list) == []


# --- the one Area admin -----------------------------------------------------------------------

APP_DIRS = ("locations", "reports", "evactrack")


def test_no_admin_is_unregistered_and_registered_again():
    """Which admin wins must not depend on INSTALLED_APPS order: each of our models is registered
    once. Django's user page is the one exception, replaced as Django's documentation does (to add
    the membership inline) right after importing django.contrib.auth.admin, which registers it:
    the order is fixed by that import, not by INSTALLED_APPS."""
    root = Path(__file__).resolve().parents[2]
    offenders = []
    for folder in APP_DIRS:
        for path in (root / folder).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if "migrations" in path.parts or ".unregister(" not in text:
                continue
            replaces_user_page = "from django.contrib.auth.admin import" in text and re.findall(
                r"\.unregister\((\w+)\)", text
            ) == ["User"]
            if not replaces_user_page:
                offenders.append(str(path.relative_to(root)))
    assert offenders == []


def test_the_area_admin_is_composed_from_each_apps_part():
    from evactrack.status.admin import AreaStatusMixin
    from locations.admin import AreaAdminBase, AreaAliasInline
    from reports.admin.areas import AreaReportsMixin

    area_admin = admin.site._registry[apps.get_model("locations", "Area")]
    assert isinstance(area_admin, AreaAdminBase)
    assert isinstance(area_admin, AreaReportsMixin)
    assert isinstance(area_admin, AreaStatusMixin)
    assert area_admin.inlines == [AreaAliasInline, *AreaReportsMixin.area_inlines]


def test_the_area_page_shows_what_each_app_contributes(admin_client_logged_in, kupiansk):
    response = admin_client_logged_in.get(reverse("admin:locations_area_change", args=[kupiansk.city.pk]))
    assert response.status_code == 200
    # locations: the area's fields and its spellings
    assert response.context["adminform"].form.instance == kupiansk.city
    inline_models = [formset.formset.model._meta.model_name for formset in response.context["inline_admin_formsets"]]
    assert inline_models == ["areaalias", "populationcount", "controldesignation", "incident"]
    # reports: the orders covering it and the links to every fact below
    assert [target.order for target, _sources in response.context["orders_covering"]] == [kupiansk.order]
    assert "orders_inside" in response.context and len(response.context["subtree_links"]) == 3
    # the status engine: its current status and timeline
    assert response.context["area_status"].sentence
    assert "status_timeline" in response.context and response.context["area_status_label"]
    page = response.content.decode()
    assert 'id="area-status"' in page and 'id="area-orders"' in page
