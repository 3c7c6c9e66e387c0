"""Incidents and their review queue: verify, dispute, reject or reopen, all or none."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from evactrack.access.choices import Role
from evactrack.access.policy import caller_of_user
from evactrack.kernel.admin import ServiceAdmin
from reports.admin.access import FIELD_ROLES, point_hidden, staff_role
from reports.admin.facts import FACT_READONLY, FactAdmin, citation_inline
from reports.admin.filters import AreaSubtreeFilter
from reports.choices import VerificationState
from reports.importing import IncidentImporter
from reports.models import Incident
from reports.selectors import incidents_visible
from reports.services import incident_create, incident_delete, incident_review, incident_update


class ReviewNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Reason (kept with each incident and in its history)"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        required=False,
    )

    def __init__(self, *args, note_required=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].required = note_required


@admin.register(Incident)
class IncidentAdmin(FactAdmin):
    create_service = staticmethod(incident_create)
    update_service = staticmethod(incident_update)
    instance_kwarg = "incident"
    importer = IncidentImporter
    # The import's columns, then the review, which only the review queue changes.
    export_fields = ("uid", *IncidentImporter.fact_columns(), "verification_state", "verification_note")

    list_display = ("occurred_on", "incident_type", "area", "verification_state", "fatalities", "injured", "sources")
    list_filter = (
        "verification_state",
        AreaSubtreeFilter,
        "occurred_on",
        "incident_type",
        "kind",
        "geo_precision",
        "reporting_organization",
    )
    # The page's areas come in one more query (get_queryset): joined into the list's query,
    # they let SQLite start from the areas and sort every incident (seconds at 1,000,000).
    list_select_related = ("reporting_organization",)
    search_fields = ("summary", "^area__code", "area__name_en", "area__name_uk", "facility_name")
    autocomplete_fields = ("area", "reporting_organization")
    readonly_fields = ("verification_state", "verified_by", "verified_at", "verification_note", *FACT_READONLY)
    inlines = [citation_inline("incident")]
    fieldsets = (
        (None, {"fields": (("incident_type", "kind"), "summary", "reporting_organization")}),
        (_("When"), {"fields": (("occurred_on", "occurred_on_precision"), "occurred_until", "discovered_on")}),
        (_("Where"), {"fields": ("area", ("latitude", "longitude"), "geo_precision")}),
        (
            _("Casualties (empty = unknown, not zero)"),
            {
                "fields": (
                    ("fatalities", "fatalities_qualifier"),
                    ("injured", "injured_qualifier"),
                    ("civilians_killed", "civilians_killed_qualifier"),
                    ("civilians_injured", "civilians_injured_qualifier"),
                    ("children_killed", "children_killed_qualifier"),
                    ("children_injured", "children_injured_qualifier"),
                )
            },
        ),
        (_("Facility hit"), {"fields": (("facility_type", "facility_name"),)}),
        (_("Verification"), {"fields": ("verification_state", "verified_by", "verified_at", "verification_note")}),
        (_("Record"), {"fields": FACT_READONLY, "classes": ("collapse",)}),
    )

    # The queue: incidents nobody has reviewed yet come first, newest first within each group,
    # read in this order from one index (reports_incident_queue).
    ordering = ("-awaiting_review", "-occurred_on", "-id")
    actions = ("verify_selected", "dispute_selected", "reject_selected", "reopen_selected")

    def get_queryset(self, request):
        queryset = super().get_queryset(request).prefetch_related("area")
        caller = caller_of_user(request.user)
        if caller.role is None:
            return queryset  # staff without a membership: their Django permissions govern them
        return incidents_visible(queryset, caller)

    def has_add_permission(self, request):
        return ServiceAdmin.has_add_permission(self, request) and staff_role(request)[0] != Role.VIEWER

    def has_change_permission(self, request, obj=None):
        if not ServiceAdmin.has_change_permission(self, request, obj):
            return False
        role, organization_id = staff_role(request)
        if role == Role.VIEWER:
            return False
        if role == Role.PARTNER and obj is not None:
            # A partner edits its own organization's reports until someone has reviewed them.
            return (
                obj.reporting_organization_id == organization_id
                and obj.verification_state == VerificationState.REPORTED
            )
        return True

    def has_delete_permission(self, request, obj=None):
        return self.has_change_permission(request, obj) and super().has_delete_permission(request, obj)

    def has_review_permission(self, request):
        return ServiceAdmin.has_change_permission(self, request) and staff_role(request)[0] not in FIELD_ROLES

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # A partner reports for its own organization, which the save sets.
        return (*fields, "reporting_organization") if staff_role(request)[0] == Role.PARTNER else fields

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if obj is None or not point_hidden(request, obj):
            return fieldsets
        hidden = ("latitude", "longitude")
        return [
            (name, {**options, "fields": [f for f in options["fields"] if f not in (hidden, *hidden)]})
            for name, options in fieldsets
        ]

    def export_withheld(self, request, obj) -> set[str]:
        return {"latitude", "longitude"} if point_hidden(request, obj) else set()

    def service_extra(self, request, form, formsets, change):
        role, organization_id = staff_role(request)
        if role == Role.PARTNER and not change:
            return {"reporting_organization_id": organization_id}
        return {}

    def service_delete(self, request, obj):
        incident_delete(incident=obj, actor=request.user)

    @admin.action(description=_("Verify the selected incidents"), permissions=["review"])
    def verify_selected(self, request, queryset):
        return self._review(request, queryset, VerificationState.VERIFIED)

    @admin.action(description=_("Dispute the selected incidents (with a reason)"), permissions=["review"])
    def dispute_selected(self, request, queryset):
        return self._review(request, queryset, VerificationState.DISPUTED)

    @admin.action(description=_("Reject the selected incidents (with a reason)"), permissions=["review"])
    def reject_selected(self, request, queryset):
        return self._review(request, queryset, VerificationState.REJECTED)

    @admin.action(description=_("Send the selected incidents back to the queue"), permissions=["review"])
    def reopen_selected(self, request, queryset):
        return self._review(request, queryset, VerificationState.REPORTED)

    def _review(self, request, queryset, state):
        """Review every selected incident through incident_review, all or none.

        Disputing and rejecting need a reason: the first click shows a page asking for it,
        which posts the same action back with the note.
        """
        needs_note = state in (VerificationState.DISPUTED, VerificationState.REJECTED)
        form = ReviewNoteForm(request.POST if "apply" in request.POST else None, note_required=needs_note)
        if needs_note and not form.is_valid():
            return TemplateResponse(
                request,
                "admin/reports/incident/review_note.html",
                {
                    **self.admin_site.each_context(request),
                    "title": _("Why are these incidents %(state)s?") % {"state": VerificationState(state).label},
                    "opts": self.model._meta,
                    "form": form,
                    "incidents": queryset.select_related("area")[:100],
                    "count": queryset.count(),
                    "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                    "select_across": request.POST.get("select_across", "0"),
                    "action": request.POST.get("action"),
                },
            )
        note = form.cleaned_data.get("note", "") if form.is_bound and form.is_valid() else ""
        incidents = list(queryset.select_related("area"))
        try:
            with transaction.atomic():
                for incident in incidents:
                    incident_review(incident=incident, state=state, actor=request.user, note=note)
                    self.log_change(request, incident, [{"changed": {"fields": ["verification_state"]}}])
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), messages.ERROR)
            return None
        self.message_user(
            request,
            ngettext("%(count)d incident is now %(state)s.", "%(count)d incidents are now %(state)s.", len(incidents))
            % {"count": len(incidents), "state": VerificationState(state).label},
            messages.SUCCESS,
        )
        return None
