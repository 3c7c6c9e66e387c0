"""Admin for the status engine: the policy is editable; statuses, history and runs are read-only."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from evactrack.admin import ReadOnlyAdmin
from evactrack.status.choices import StatusLevel
from evactrack.status.models import AreaStatus, Policy, RecomputeRun, StatusChange
from evactrack.status.selectors import status_for_area, status_history
from evactrack.status.services import policy_save
from locations.models import Area
from reports.admin import AreaWithReportsAdmin


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


@admin.register(AreaStatus)
class AreaStatusAdmin(ReadOnlyAdmin):
    list_display = ["area", "level", "score", "people_present", "people_subject", "as_of", "computed_at"]
    list_filter = ["level", "area__level"]
    search_fields = ["area__code", "area__name_en", "area__name_uk"]
    list_select_related = ["area"]
    readonly_fields = ["sentence"]

    @admin.display(description=_("why"))
    def sentence(self, obj):
        return obj.sentence


@admin.register(StatusChange)
class StatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["area", "as_of", "previous_level", "level", "origin", "recorded_at"]
    list_filter = ["level", "origin", "area__level"]
    search_fields = ["area__code", "area__name_en", "area__name_uk"]
    list_select_related = ["area"]
    date_hierarchy = "as_of"
    readonly_fields = ["sentence"]

    @admin.display(description=_("why"))
    def sentence(self, obj):
        return obj.sentence


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
# The status engine may import locations and reports; they never import it. So the area's page
# gains its status here, on top of the reports (reports/admin.py) on top of the area itself.

admin.site.unregister(Area)


@admin.register(Area)
class AreaWithStatusAdmin(AreaWithReportsAdmin):
    def change_view(self, request, object_id, form_url="", extra_context=None):
        area = self.get_object(request, object_id)
        if area is not None:
            status = status_for_area(area=area)
            extra_context = {
                **(extra_context or {}),
                "area_status": status,
                "area_status_label": StatusLevel(status.level).label,
                "status_timeline": status_history(area=area).order_by("-as_of", "-id")[:30],
            }
        return super().change_view(request, object_id, form_url, extra_context)
