"""What reports add to the area's page: the facts about the area and the orders covering it."""

from django.contrib import admin
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from evactrack.kernel.admin import ReadOnlyInlineMixin, changed_fields, formset_for, model_field_names
from reports.admin.facts import cited_sources
from reports.admin.filters import AreaSubtreeFilter
from reports.models import ControlDesignation, Incident, PopulationCount
from reports.selectors import orders_covering, orders_inside
from reports.services import population_count_update


class AreaFactInline(ReadOnlyInlineMixin, admin.TabularInline):
    """The newest facts about the area; the link under the panel lists them all."""

    fk_name = "area"

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        formset.row_limit = 20
        return formset

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("citations__source")

    @admin.display(description=_("sources"))
    def sources(self, obj):
        return cited_sources(obj)


class AreaIncidentInline(AreaFactInline):
    model = Incident
    fields = ("occurred_on", "incident_type", "verification_state", "fatalities", "injured", "summary", "sources")
    readonly_fields = fields
    verbose_name_plural = _("incidents here (newest 20)")


class AreaPopulationCountInline(AreaFactInline):
    """Counts are corrected right here (figures and qualifiers); new ones, with their source, on their own page."""

    model = PopulationCount
    fields = ("kind", "reference_date", "total", "total_qualifier", "children", "children_qualifier", "sources")
    readonly_fields = ("kind", "reference_date", "sources")
    verbose_name_plural = _("population counts (newest 20)")

    def has_change_permission(self, request, obj=None):
        return request.user.has_perm("reports.change_populationcount")


class AreaDesignationInline(AreaFactInline):
    model = ControlDesignation
    fields = ("kind", "valid_from", "valid_until", "summary", "sources")
    readonly_fields = fields
    verbose_name_plural = _("control designations (newest 20)")


class AreaReportsMixin:
    """Reports' part of the area's page: orders that cover it (directly or through a parent),
    orders inside it, its newest incidents, counts and designations, and links to all of them.

    Composed into the one AreaAdmin (evactrack/status/admin.py) over locations' AreaAdminBase.
    """

    area_inlines = (AreaPopulationCountInline, AreaDesignationInline, AreaIncidentInline)

    def page_context(self, request, area):
        return {
            **super().page_context(request, area),
            "orders_covering": [(target, cited_sources(target.order)) for target in orders_covering(area)],
            "orders_inside": [(target, cited_sources(target.order)) for target in orders_inside(area)],
            "subtree_links": _subtree_links(area),
        }

    def service_save(self, request, form, formsets, change):
        area = super().service_save(request, form, formsets, change)
        # Counts corrected in their inline are saved through their service, one by one.
        counts = formset_for(formsets, PopulationCount)
        for count_form in counts.initial_forms if counts is not None else []:
            changed = changed_fields(count_form, model_field_names(count_form))
            if changed:
                stored = PopulationCount.objects.get(pk=count_form.instance.pk)
                population_count_update(count=stored, actor=request.user, **changed)
        return area


def _subtree_links(area):
    """Change lists of every fact in the area and below, for "show all"."""
    return [
        (
            label,
            reverse(f"admin:reports_{model}_changelist") + f"?{AreaSubtreeFilter.parameter_name}={area.code}",
        )
        for label, model in (
            (_("All incidents here and below"), "incident"),
            (_("All population counts here and below"), "populationcount"),
            (_("All designations here and below"), "controldesignation"),
        )
    ]
