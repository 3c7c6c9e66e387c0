"""Control designations: which power holds an area, and from when until when."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from reports.admin.facts import FACT_READONLY, FactAdmin, citation_inline
from reports.admin.filters import AreaSubtreeFilter
from reports.models import ControlDesignation
from reports.services import designation_create, designation_update


@admin.register(ControlDesignation)
class ControlDesignationAdmin(FactAdmin):
    create_service = staticmethod(designation_create)
    update_service = staticmethod(designation_update)
    instance_kwarg = "designation"
    export_fields = ("uid", "area_code", "kind", "valid_from", "valid_until", "summary")

    list_display = ("area", "kind", "valid_from", "valid_until", "sources")
    list_filter = ("kind", AreaSubtreeFilter)
    list_select_related = ("area",)
    search_fields = ("^area__code", "area__name_en", "area__name_uk", "summary")
    autocomplete_fields = ("area",)
    readonly_fields = FACT_READONLY
    inlines = [citation_inline("designation")]
    fieldsets = (
        (None, {"fields": ("area", "kind", "summary")}),
        (_("Dates"), {"fields": (("valid_from", "valid_from_precision"), ("valid_until", "valid_until_precision"))}),
        (_("Record"), {"fields": FACT_READONLY, "classes": ("collapse",)}),
    )

    def has_delete_permission(self, request, obj=None):
        return False
