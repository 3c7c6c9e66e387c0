"""Population counts: corrected, never deleted; imported from spreadsheets."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from reports.admin.facts import FACT_READONLY, FactAdmin, citation_inline
from reports.admin.filters import AreaSubtreeFilter
from reports.importing import PopulationCountImporter
from reports.models import PopulationCount
from reports.services import population_count_create, population_count_update


@admin.register(PopulationCount)
class PopulationCountAdmin(FactAdmin):
    create_service = staticmethod(population_count_create)
    update_service = staticmethod(population_count_update)
    instance_kwarg = "count"
    importer = PopulationCountImporter
    export_fields = ("uid", *PopulationCountImporter.fact_columns())

    list_display = ("area", "kind", "reference_date", "total", "total_qualifier", "children", "method", "sources")
    list_filter = ("kind", AreaSubtreeFilter, "method", "total_qualifier")
    list_select_related = ("area",)
    search_fields = ("^area__code", "area__name_en", "area__name_uk", "summary")
    autocomplete_fields = ("area",)
    readonly_fields = FACT_READONLY
    inlines = [citation_inline("population_count")]
    fieldsets = (
        (None, {"fields": ("area", "kind", ("reference_date", "reference_date_precision"), "method", "summary")}),
        (
            _("Figures (empty = unknown, not zero)"),
            {"fields": (("total", "total_qualifier"), ("children", "children_qualifier"))},
        ),
        (_("Record"), {"fields": FACT_READONLY, "classes": ("collapse",)}),
    )

    def has_delete_permission(self, request, obj=None):
        # No delete service yet: a wrong count is corrected, and the correction kept in history.
        return False
