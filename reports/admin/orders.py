"""Evacuation orders: their targets, what they cover before saving, and lifting them."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import JsonResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from evactrack.kernel.admin import ServiceInlineFormSet, formset_changed, formset_for, kept_rows
from reports.admin.facts import FACT_READONLY, FactAdmin, PartOfFactInlineMixin, citation_inline
from reports.admin.filters import OrderAreaSubtreeFilter
from reports.choices import TargetScope
from reports.importing import OrderTargetImporter
from reports.models import EvacuationOrder, OrderTarget
from reports.selectors import order_coverage
from reports.services import TargetInput, order_create, order_lift, order_update

COVERAGE_MAX_TARGETS = 200


class OrderTargetInline(PartOfFactInlineMixin, admin.TabularInline):
    """The areas an order covers: type any spelling of a name, choose the whole subtree or one area."""

    model = OrderTarget
    formset = ServiceInlineFormSet
    fields = ("area", "scope", "note")
    autocomplete_fields = ("area",)
    extra = 0
    min_num = 1
    validate_min = True

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("area")


@admin.register(EvacuationOrder)
class EvacuationOrderAdmin(FactAdmin):
    create_service = staticmethod(order_create)
    update_service = staticmethod(order_update)
    instance_kwarg = "order"
    importer = OrderTargetImporter  # the areas of existing orders: order_uid, area_code, scope
    export_fields = (
        "uid",
        "title",
        "reference",
        "issuing_authority",
        "kind",
        "population_group",
        "issued_on",
        "effective_from",
        "effective_until",
        "lifted_on",
        "review_on",
        "confirmed_on",
        "state",
        "people_subject",
        "people_subject_qualifier",
        "children_subject",
        "children_subject_qualifier",
    )

    list_display = ("title", "kind", "population_group", "state", "effective_from", "effective_until", "sources")
    list_filter = ("state", OrderAreaSubtreeFilter, "kind", "population_group")
    search_fields = (
        "title",
        "reference",
        "issuing_authority",
        "summary",
        "targets__area__name_en",
        "^targets__area__code",
    )
    autocomplete_fields = ("destination_areas", "issuing_organization", "supersedes")
    readonly_fields = FACT_READONLY
    # Targets first: they say where, which is what a coordinator checks before anything else.
    inlines = [OrderTargetInline, citation_inline("order")]
    fieldsets = (
        (None, {"fields": ("title", "reference", "issuing_authority", "issuing_organization", "summary")}),
        (_("Who must leave"), {"fields": ("kind", "population_group")}),
        (
            _("Dates"),
            {
                "fields": (
                    "issued_on",
                    ("effective_from", "effective_from_precision"),
                    "effective_until",
                    ("state", "lifted_on"),
                    ("review_on", "confirmed_on"),
                    "supersedes",
                )
            },
        ),
        (
            _("People subject (empty = unknown, not zero)"),
            {
                "fields": (
                    ("people_subject", "people_subject_qualifier"),
                    ("children_subject", "children_subject_qualifier"),
                )
            },
        ),
        (_("Destinations"), {"fields": ("destination_areas",)}),
        (_("Record"), {"fields": FACT_READONLY, "classes": ("collapse",)}),
    )

    change_form_template = "admin/reports/evacuationorder/change_form.html"

    def get_urls(self):
        coverage = path(
            "coverage/",
            self.admin_site.admin_view(self.coverage_view),
            name=f"{self.model._meta.app_label}_{self.model._meta.model_name}_coverage",
        )
        return [coverage, *super().get_urls()]

    def coverage_view(self, request):
        """What the targets on the form cover, before saving: ?target=<area id>:<subtree|single>..."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        targets = []
        for value in request.GET.getlist("target")[:COVERAGE_MAX_TARGETS]:
            area_id, _sep, scope = value.partition(":")
            if area_id.isdigit() and scope in TargetScope.values:
                targets.append((int(area_id), scope))
        return JsonResponse(order_coverage(targets))

    def service_extra(self, request, form, formsets, change):
        kwargs = {}
        targets = formset_for(formsets, OrderTarget)
        if not change or formset_changed(targets):
            kwargs["targets"] = [
                TargetInput(area=row["area"], scope=row["scope"], note=row.get("note") or "")
                for row in kept_rows(targets)
            ]
        if not change or "destination_areas" in form.changed_data:
            kwargs["destinations"] = list(form.cleaned_data.get("destination_areas") or [])
        return kwargs

    actions = ("lift_selected",)

    @admin.action(description=_("Lift the selected orders (today)"), permissions=["change"])
    def lift_selected(self, request, queryset):
        """Lift each order through order_lift, all or none; the areas they covered are recomputed."""
        orders = list(queryset)
        try:
            with transaction.atomic():
                for order in orders:
                    order_lift(order=order, actor=request.user)
                    self.log_change(request, order, [{"changed": {"fields": ["state", "lifted_on"]}}])
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return
        self.message_user(
            request,
            ngettext("%(count)d order lifted.", "%(count)d orders lifted.", len(orders)) % {"count": len(orders)},
            messages.SUCCESS,
        )

    def has_delete_permission(self, request, obj=None):
        # An order is lifted, not deleted: its history is part of the areas' status history.
        return False
