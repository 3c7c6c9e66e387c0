"""Admin for the status engine: the policy is editable; statuses, history and runs are read-only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from evactrack.kernel.admin import ReadOnlyAdmin
from evactrack.status.choices import StatusLevel
from evactrack.status.models import AreaStatus, Policy, RecomputeRun, StatusChange
from evactrack.status.selectors import level_changes, status_for_area, status_history
from evactrack.status.services import policy_save
from locations.admin import AreaAdminBase
from locations.models import Area
from reports.admin.areas import AreaReportsMixin


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
