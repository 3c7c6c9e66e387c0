"""Admin for the status engine: the policy is editable; statuses, history and runs are read-only."""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from evactrack.kernel.admin import ReadOnlyAdmin
from evactrack.status.choices import StatusLevel
from evactrack.status.models import AreaStatus, OrderToConfirm, Policy, RecomputeRun, StatusChange
from evactrack.status.selectors import level_changes, orders_to_confirm, status_for_area, status_history
from evactrack.status.services import policy_rules_active, policy_save
from locations.admin import AreaAdminBase
from locations.models import Area
from reports.admin.access import FIELD_ROLES, staff_role
from reports.admin.areas import AreaReportsMixin
from reports.lifecycle import unconfirmed_since
from reports.models import EvacuationOrder
from reports.services import order_confirm


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "is_active",
        "incident_window_days",
        "advisory_threshold",
        "recommended_threshold",
        "hysteresis_days",
        "unverified_level_cap",
        "corroborating_organizations",
        "updated_at",
    ]
    list_filter = ["is_active"]

    def save_model(self, request, obj, form, change):
        # Through the service: one active policy, and a full recompute once it is saved.
        policy_save(policy=obj)


@admin.register(OrderToConfirm)
class OrderToConfirmAdmin(ReadOnlyAdmin):
    """The queue of orders in force that nobody confirmed for the policy's review days
    (evactrack.status.selectors.orders_to_confirm). Their level is kept; a coordinator confirms
    them here (a source says they still hold) or ends or lifts them on the order's page."""

    list_display = (
        "title_link",
        "issuing_authority",
        "kind",
        "population_group",
        "effective_from",
        "confirmed_on",
        "review_on",
        "not_confirmed_since",
    )
    # Each row links to the order's own page, where it is confirmed, ended or lifted.
    list_display_links = None
    list_filter = ("kind", "population_group")
    search_fields = ("title", "reference", "issuing_authority")
    ordering = ("effective_from", "id")
    actions = ("confirm_today",)

    def get_queryset(self, request):
        return orders_to_confirm()

    def has_view_permission(self, request, obj=None):
        user = request.user
        return user.has_perm("reports.view_evacuationorder") or user.has_perm("reports.change_evacuationorder")

    def has_confirm_permission(self, request):
        return request.user.has_perm("reports.change_evacuationorder") and staff_role(request)[0] not in FIELD_ROLES

    @admin.display(description=_("order"), ordering="title")
    def title_link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:reports_evacuationorder_change", args=[obj.pk]), obj)

    @admin.display(description=_("not confirmed since"))
    def not_confirmed_since(self, obj):
        return unconfirmed_since(
            effective_from=obj.effective_from,
            issued_on=obj.issued_on,
            confirmed_on=obj.confirmed_on,
            as_of=timezone.localdate(),
        )

    def changelist_view(self, request, extra_context=None):
        days = policy_rules_active().order_review_days
        extra_context = {
            **(extra_context or {}),
            "subtitle": _("In force, no end date, not confirmed for %(days)d days (the status policy).")
            % {"days": days},
        }
        return super().changelist_view(request, extra_context)

    @admin.action(description=_("Confirm the selected orders (a source says they still hold, today)"),
                  permissions=["confirm"])  # fmt: skip
    def confirm_today(self, request, queryset):
        """Confirm each order through order_confirm, all or none; its areas are recomputed."""
        orders = list(EvacuationOrder.objects.filter(pk__in=queryset.values("pk")))
        try:
            with transaction.atomic():
                for order in orders:
                    order_confirm(order=order, actor=request.user)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return
        self.message_user(
            request,
            ngettext("%(count)d order confirmed.", "%(count)d orders confirmed.", len(orders)) % {"count": len(orders)},
            messages.SUCCESS,
        )


class WhoMustLeaveColumns:
    """A status's levels in words: the worst for anyone, for everyone, and per population group."""

    @admin.display(description=_("who must leave"))
    def who_must_leave(self, obj):
        return obj.who_must_leave

    @admin.display(description=_("why"))
    def sentence(self, obj):
        return obj.sentence


@admin.register(AreaStatus)
class AreaStatusAdmin(WhoMustLeaveColumns, ReadOnlyAdmin):
    list_display = [
        "area",
        "level",
        "level_for_everyone",
        "who_must_leave",
        "score",
        "people_present",
        "people_subject",
        "as_of",
        "computed_at",
    ]
    list_filter = ["level", "level_for_everyone", "area__level"]
    search_fields = ["area__code", "area__name_en", "area__name_uk"]
    list_select_related = ["area"]
    readonly_fields = ["who_must_leave", "sentence"]


@admin.register(StatusChange)
class StatusChangeAdmin(WhoMustLeaveColumns, ReadOnlyAdmin):
    list_display = [
        "area",
        "as_of",
        "previous_level",
        "level",
        "level_for_everyone",
        "who_must_leave",
        "origin",
        "recorded_at",
    ]
    list_filter = ["level", "level_for_everyone", "origin", "area__level"]
    search_fields = ["area__code", "area__name_en", "area__name_uk"]
    list_select_related = ["area"]
    date_hierarchy = "as_of"
    readonly_fields = ["who_must_leave", "sentence"]


@admin.register(RecomputeRun)
class RecomputeRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "kind",
        "as_of",
        "skipped",
        "every_area",
        "areas_computed",
        "rows_written",
        "changes_appended",
        "duration_ms",
    ]
    list_filter = ["kind", "skipped", "every_area"]


# --- the area's page: its current status, why, and its timeline ------------------------------------
# The status engine may import locations and reports; they never import it. So the one Area admin
# is composed and registered here: the area itself (locations), what is reported about it
# (reports), and its status (below).


class AreaStatusMixin:
    """The status engine's part of the area's page: its current status, why, and its timeline."""

    def page_context(self, request, area):
        status = status_for_area(area=area)
        return {
            **super().page_context(request, area),
            "area_status": status,
            "area_status_label": StatusLevel(status.level).label,
            "status_timeline": level_changes(status_history(area=area)).order_by("-as_of", "-id")[:30],
            "status_steps": status_history(area=area).count(),
        }


@admin.register(Area)
class AreaAdmin(AreaStatusMixin, AreaReportsMixin, AreaAdminBase):
    """The area's page: its fields and spellings, its orders, facts and counts, and its status."""

    # One template shows every part's context (evactrack/templates/admin/locations/area/).
    change_form_template = "admin/locations/area/change_form.html"
    inlines = [*AreaAdminBase.inlines, *AreaReportsMixin.area_inlines]
