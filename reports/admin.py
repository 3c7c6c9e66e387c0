"""Admin for reports: every save calls reports.services, every fact shows its sources.

The area's page (registered in locations/admin.py) is extended here with the facts about the
area, since locations must not import reports.
"""

import time
import uuid
from pathlib import Path

from django import forms
from django.apps import apps
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Q
from django.http import HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from evactrack.admin import (
    EstimatedCountPaginator,
    ReadOnlyAdmin,
    ReadOnlyInlineMixin,
    ServiceAdmin,
    ServiceAdminMixin,
    ServiceInlineFormSet,
    changed_fields,
    form_fields,
    formset_changed,
    formset_for,
    kept_rows,
    model_field_names,
)
from evactrack.api.choices import Role
from locations.admin import AreaAdmin
from locations.models import Area
from reports.choices import CountKind, TargetScope, VerificationState
from reports.exporting import csv_response, export_value, xlsx_response
from reports.importing import ImportFileError, IncidentImporter, OrderTargetImporter, PopulationCountImporter
from reports.models import (
    Citation,
    ControlDesignation,
    DirtyArea,
    DirtyRecomputeRequest,
    EvacuationOrder,
    Incident,
    OrderTarget,
    Organization,
    PopulationCount,
    Source,
)
from reports.selectors import incident_point_withheld
from reports.services import (
    CitationInput,
    TargetInput,
    designation_create,
    designation_update,
    incident_create,
    incident_delete,
    incident_review,
    incident_update,
    order_create,
    order_lift,
    order_update,
    organization_upsert,
    population_count_create,
    population_count_update,
    source_upsert,
)

FACT_READONLY = ("uid", "created_by", "created_at", "updated_at")
# Roles (DESIGN.md) a staff user may hold through their membership; these cannot edit orders,
# counts or designations, nor review incidents, whatever their model permissions say.
FIELD_ROLES = (Role.VIEWER, Role.PARTNER)


def staff_role(request) -> tuple[str | None, int | None]:
    """(role, organization id) of the admin user: their membership's; a superuser is an admin.

    Staff without a membership are governed by their Django permissions alone.
    """
    user = request.user
    if user.is_superuser:
        return Role.ADMIN, None
    membership = getattr(user, "api_membership", None)
    return (membership.role, membership.organization_id) if membership is not None else (None, None)


def point_hidden(request, incident) -> bool:
    """The exact point of a vulnerable place another organization reported (see reports.selectors)."""
    return incident_point_withheld(
        incident=vars(incident), sees_sensitive=sees_sensitive(request), organization_id=staff_role(request)[1]
    )


def sees_sensitive(request) -> bool:
    """Small child counts identify families: viewers and partners do not get them in exports."""
    role, _organization = staff_role(request)
    return role not in FIELD_ROLES and request.user.has_perm("reports.change_incident")


def cited_sources(fact):
    """Each source of a fact with its locator, linked to the source; uses prefetched citations."""
    citations = list(fact.citations.all())
    if not citations:
        return "—"
    return format_html_join(
        mark_safe("<br>"),
        '<a href="{}">{}</a> {}',
        ((reverse("admin:reports_source_change", args=[c.source_id]), c.source, c.locator) for c in citations),
    )


class ReviewNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Reason (kept with each incident and in its history)"),
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        required=False,
    )

    def __init__(self, *args, note_required=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["note"].required = note_required


# --- filters --------------------------------------------------------------------------------


class AreaSubtreeFilter(admin.SimpleListFilter):
    """Facts in an area and everything below it: ?within=UA6308 (shareable, bookmarkable).

    The choices list the oblasts; any area code works in the URL, and an area's page links here.
    """

    title = _("area (and below)")
    parameter_name = "within"
    # The field that holds the area on this model; orders use their targets' areas.
    area_lookup = "area"

    def lookups(self, request, model_admin):
        choices = [(area.code, area.name_en) for area in Area.objects.filter(level="oblast").order_by("name_en")]
        value = self.value()
        if value and value not in dict(choices):
            area = Area.objects.filter(code=value).first()
            if area is not None:
                choices.insert(0, (area.code, str(area)))
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        area = Area.objects.filter(code=value.strip().upper()).first()
        if area is None:
            return queryset.none()
        if self.area_lookup == "area":
            return queryset.filter(area__path__startswith=area.path)
        # One order has many targets: a subquery keeps each order once.
        order_ids = OrderTarget.objects.filter(area__path__startswith=area.path).values("order_id")
        return queryset.filter(pk__in=order_ids)


class OrderAreaSubtreeFilter(AreaSubtreeFilter):
    area_lookup = "targets__area"


class PartOfFactInlineMixin:
    """Rows that belong to the fact on the page (citations, targets): whoever may write the fact
    may write them, without permissions of their own on those tables."""

    def _fact_permission(self, request, action):
        opts = self.parent_model._meta
        return request.user.has_perm(f"{opts.app_label}.{action}_{opts.model_name}")

    def has_view_permission(self, request, obj=None):
        return self._fact_permission(request, "view") or self._fact_permission(request, "change")

    def has_add_permission(self, request, obj=None):
        return self._fact_permission(request, "change" if obj is not None else "add")

    def has_change_permission(self, request, obj=None):
        return self._fact_permission(request, "change" if obj is not None else "add")

    def has_delete_permission(self, request, obj=None):
        return self._fact_permission(request, "change")


# --- citations --------------------------------------------------------------------------


class CitationInline(PartOfFactInlineMixin, admin.TabularInline):
    """The sources of a fact: at least one, each with where in the source it says so."""

    model = Citation
    formset = ServiceInlineFormSet
    fields = ("source", "locator", "note")
    autocomplete_fields = ("source",)
    extra = 0
    min_num = 1
    validate_min = True
    verbose_name = _("source cited")
    verbose_name_plural = _("sources cited")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source")


def citation_inline(fact_field):
    return type(f"{fact_field.title()}CitationInline", (CitationInline,), {"fk_name": fact_field})


def citation_inputs(formset):
    return [
        CitationInput(source=row["source"], locator=row.get("locator") or "", note=row.get("note") or "")
        for row in kept_rows(formset)
    ]


IMPORT_MAX_BYTES = 20 * 2**20
IMPORT_ERRORS_SHOWN = 500
EXPORT_FORMAT_PARAM = "_format"


IMPORT_KEEP_SECONDS = 24 * 3600


def _import_path(token):
    folder = Path(settings.VAR_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    if not token.isalnum():
        raise PermissionDenied
    return folder / f"{token}.upload"


def _forget_old_uploads():
    """Checked files nobody confirmed within a day are deleted: they may hold sensitive rows."""
    cutoff = time.time() - IMPORT_KEEP_SECONDS
    for upload in (Path(settings.VAR_DIR) / "imports").glob("*.upload"):
        if upload.stat().st_mtime < cutoff:
            upload.unlink(missing_ok=True)


class ImportExportMixin:
    """Spreadsheet import (check first, then import all rows or none) and export of the filtered list.

    The import keeps the uploaded file under VAR_DIR/imports between the check and the import,
    named by a random token that only the uploader's session knows.
    """

    importer = None
    change_list_template = "admin/reports/change_list_import_export.html"

    def get_urls(self):
        prefix = f"{self.model._meta.app_label}_{self.model._meta.model_name}"
        urls = [path("export/", self.admin_site.admin_view(self.export_view), name=f"{prefix}_export")]
        if self.importer is not None:
            urls.append(path("import/", self.admin_site.admin_view(self.import_view), name=f"{prefix}_import"))
        return urls + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self._can_import(request)}
        return super().changelist_view(request, extra_context)

    def _can_import(self, request):
        return self.importer is not None and self.has_add_permission(request) and self.has_change_permission(request)

    # --- import ---

    def import_view(self, request):
        if not self._can_import(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import %(things)s") % {"things": self.model._meta.verbose_name_plural},
            "required_columns": self.importer.required_columns,
            "optional_columns": self.importer.optional_columns,
        }
        if request.method == "POST" and request.POST.get("token"):
            return self._import_confirmed(request, context)
        if request.method == "POST" and request.FILES.get("file"):
            upload = request.FILES["file"]
            if upload.size > IMPORT_MAX_BYTES:
                context["file_error"] = _("The file is larger than %(mb)d MB.") % {"mb": IMPORT_MAX_BYTES // 2**20}
            else:
                _forget_old_uploads()
                token = uuid.uuid4().hex
                content = upload.read()
                _import_path(token).write_bytes(content)
                request.session.setdefault("evactrack_imports", {})[token] = upload.name
                request.session.modified = True
                context.update(self._check(content, upload.name, token))
        return TemplateResponse(request, "admin/reports/import.html", context)

    def _check(self, content, filename, token):
        try:
            check = self.importer(content, filename).check()
        except ImportFileError as error:
            return {"file_error": str(error), "filename": filename}
        return {"check": check, "errors": check.errors[:IMPORT_ERRORS_SHOWN], "token": token, "filename": filename}

    def _import_confirmed(self, request, context):
        token = request.POST["token"]
        filename = request.session.get("evactrack_imports", {}).get(token)
        if not filename or not _import_path(token).exists():
            context["file_error"] = _("This upload has expired; upload the file again.")
            return TemplateResponse(request, "admin/reports/import.html", context)
        content = _import_path(token).read_bytes()
        importer = self.importer(content, filename)
        try:
            check = importer.check()
            count = importer.save(check, actor=request.user) if check.ok else 0
        except ImportFileError as error:
            check, count = None, 0
            context["file_error"] = str(error)
        if count == 0:
            if check is not None:
                context.update({"check": check, "errors": check.errors[:IMPORT_ERRORS_SHOWN], "token": token})
            return TemplateResponse(request, "admin/reports/import.html", context)
        _import_path(token).unlink(missing_ok=True)
        request.session["evactrack_imports"].pop(token, None)
        request.session.modified = True
        # Each imported row's history names the user and the file (its change reason).
        self.message_user(
            request,
            _("Imported %(count)d rows from %(file)s.") % {"count": count, "file": filename},
            messages.SUCCESS,
        )
        opts = self.model._meta
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))

    # --- export ---

    export_fields: tuple[str, ...] = ()

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        export_format = request.GET.get(EXPORT_FORMAT_PARAM, "csv")
        # The change list must not see our own parameter, or it would take it for a filter.
        request.GET = request.GET.copy()
        request.GET.pop(EXPORT_FORMAT_PARAM, None)
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request).prefetch_related(None)
        rows = self.export_rows(request, queryset)
        name = f"{self.model._meta.model_name}s-{timezone.localdate().isoformat()}"
        if export_format == "xlsx":
            return xlsx_response(self.export_header(), rows, f"{name}.xlsx")
        return csv_response(self.export_header(), rows, f"{name}.csv")

    def export_header(self):
        return [*self.export_fields, "sources"]

    def export_withheld(self, request, obj) -> set[str]:
        """Columns of this row the user may not see (left empty)."""
        return set()

    def export_rows(self, request, queryset):
        hide_small = not sees_sensitive(request)
        threshold = getattr(settings, "EVACTRACK_SMALL_CHILD_COUNT", 20)
        for obj in queryset.prefetch_related("citations__source").iterator(chunk_size=2000):
            withheld = self.export_withheld(request, obj)
            row = ["" if name in withheld else export_value(obj, name) for name in self.export_fields]
            if hide_small:
                # Small child counts identify families: withheld from roles that cannot edit.
                row = [
                    "" if name.startswith("children") and isinstance(value, int) and value < threshold else value
                    for name, value in zip(self.export_fields, row, strict=True)
                ]
            row.append("; ".join(f"{c.source.slug} {c.locator}".strip() for c in obj.citations.all()))
            yield row


class FactAdmin(ImportExportMixin, ServiceAdmin):
    """What the four kinds of facts share: provenance fields, sources, saving through a service.

    `create_service(citations=..., actor=..., **fields)` and
    `update_service(<instance_kwarg>=..., actor=..., citations=..., **changed_fields)`.
    """

    create_service = None
    update_service = None
    instance_kwarg = None
    paginator = EstimatedCountPaginator
    list_per_page = 50

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("citations__source")

    @admin.display(description=_("sources"))
    def sources(self, obj):
        return cited_sources(obj)

    def has_add_permission(self, request):
        return super().has_add_permission(request) and staff_role(request)[0] not in FIELD_ROLES

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and staff_role(request)[0] not in FIELD_ROLES

    def get_deleted_objects(self, objs, request):
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs, request)
        # Citations go with their fact; on their own they cannot be deleted in the admin.
        perms_needed.discard(str(Citation._meta.verbose_name))
        return deleted, model_count, perms_needed, protected

    def service_extra(self, request, form, formsets, change):
        """Keyword arguments beyond the model fields (targets, destinations)."""
        return {}

    def service_save(self, request, form, formsets, change):
        citations = formset_for(formsets, Citation)
        kwargs = self.service_extra(request, form, formsets, change)
        names = model_field_names(form)
        if not change:
            return self.create_service(
                citations=citation_inputs(citations), actor=request.user, **form_fields(form, names), **kwargs
            )
        # A fresh copy: the form already wrote its values onto form.instance, and the service
        # must see the stored values (the area before the change is marked dirty too).
        stored = type(form.instance).objects.get(pk=form.instance.pk)
        return self.update_service(
            **{self.instance_kwarg: stored},
            actor=request.user,
            citations=citation_inputs(citations) if formset_changed(citations) else None,
            **changed_fields(form, names),
            **kwargs,
        )


# --- incidents -----------------------------------------------------------------------------


@admin.register(Incident)
class IncidentAdmin(FactAdmin):
    create_service = staticmethod(incident_create)
    update_service = staticmethod(incident_update)
    instance_kwarg = "incident"
    importer = IncidentImporter
    export_fields = (
        "uid",
        "incident_type",
        "occurred_on",
        "occurred_on_precision",
        "area_code",
        "latitude",
        "longitude",
        "geo_precision",
        *[
            column
            for name in ("fatalities", "injured", "children_killed", "children_injured")
            for column in (name, f"{name}_qualifier")
        ],
        "facility_type",
        "facility_name",
        "organization",
        "summary",
        "verification_state",
        "verification_note",
    )

    list_display = ("occurred_on", "incident_type", "area", "verification_state", "fatalities", "injured", "sources")
    list_filter = (
        "verification_state",
        AreaSubtreeFilter,
        "occurred_on",
        "incident_type",
        "geo_precision",
        "reporting_organization",
    )
    # The page's areas come in one more query (get_queryset): joined into the list's query,
    # they let SQLite start from the areas and sort every incident (2 s for 1,000,000).
    list_select_related = ("reporting_organization",)
    search_fields = ("summary", "^area__code", "area__name_en", "area__name_uk", "facility_name")
    autocomplete_fields = ("area", "reporting_organization")
    readonly_fields = ("verification_state", "verified_by", "verified_at", "verification_note", *FACT_READONLY)
    inlines = [citation_inline("incident")]
    fieldsets = (
        (None, {"fields": ("incident_type", "summary", "reporting_organization")}),
        (_("When"), {"fields": (("occurred_on", "occurred_on_precision"),)}),
        (_("Where"), {"fields": ("area", ("latitude", "longitude"), "geo_precision")}),
        (
            _("Casualties (empty = unknown, not zero)"),
            {
                "fields": (
                    ("fatalities", "fatalities_qualifier"),
                    ("injured", "injured_qualifier"),
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
        role, organization_id = staff_role(request)
        if role == Role.VIEWER:
            return queryset.filter(verification_state=VerificationState.VERIFIED)
        if role == Role.PARTNER:
            return queryset.filter(
                Q(verification_state=VerificationState.VERIFIED) | Q(reporting_organization_id=organization_id)
            )
        return queryset

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
            return obj.reporting_organization_id == organization_id and obj.verification_state == "reported"
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


# --- evacuation orders -------------------------------------------------------------------------


class OrderTargetInline(PartOfFactInlineMixin, admin.TabularInline):
    """The areas an order covers: type any spelling of a name, choose the whole subtree or one area."""

    model = OrderTarget
    formset = ServiceInlineFormSet
    fields = ("area", "scope")
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
    autocomplete_fields = ("destination_areas",)
    readonly_fields = FACT_READONLY
    # Targets first: they say where, which is what a coordinator checks before anything else.
    inlines = [OrderTargetInline, citation_inline("order")]
    fieldsets = (
        (None, {"fields": ("title", "reference", "issuing_authority", "summary")}),
        (_("Who must leave"), {"fields": ("kind", "population_group")}),
        (
            _("Dates"),
            {
                "fields": (
                    "issued_on",
                    ("effective_from", "effective_from_precision"),
                    "effective_until",
                    ("state", "lifted_on"),
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
            kwargs["targets"] = [TargetInput(area=row["area"], scope=row["scope"]) for row in kept_rows(targets)]
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


COVERAGE_MAX_TARGETS = 200


def order_coverage(targets: list[tuple[int, str]]) -> dict:
    """Settlements, people and children an order on these targets covers.

    People and children are the latest 'present' count of each settlement, else its latest
    baseline; settlements without either are counted as missing, never as zero.
    """
    areas = {area.pk: area for area in Area.objects.filter(pk__in=[area_id for area_id, _scope in targets])}
    condition = Q(pk__in=[])
    for area_id, scope in targets:
        area = areas.get(area_id)
        if area is None:
            continue
        condition |= Q(path__startswith=area.path) if scope == TargetScope.SUBTREE else Q(pk=area.pk)
    settlements = Area.objects.filter(condition, level="settlement")
    latest: dict[int, tuple] = {}
    counts = (
        PopulationCount.objects.filter(area__in=settlements, kind__in=[CountKind.PRESENT, CountKind.BASELINE])
        .order_by("area_id", "-reference_date", "-id")
        .values_list("area_id", "kind", "total", "children")
    )
    for area_id, kind, total, children in counts:
        held = latest.get(area_id)
        # A present (remaining) count beats any baseline; within a kind the newest wins.
        if held is None or (held[0] == CountKind.BASELINE and kind == CountKind.PRESENT):
            latest[area_id] = (kind, total, children)
    settlement_count = settlements.count()
    people = [figures[1] for figures in latest.values() if figures[1] is not None]
    children = [figures[2] for figures in latest.values() if figures[2] is not None]
    return {
        "targets": [str(areas[area_id]) for area_id, _scope in targets if area_id in areas],
        "settlements": settlement_count,
        "people": sum(people) if people else None,
        "people_missing": settlement_count - len(people),
        "children": sum(children) if children else None,
        "children_missing": settlement_count - len(children),
    }


# --- population counts and designations -------------------------------------------------------


@admin.register(PopulationCount)
class PopulationCountAdmin(FactAdmin):
    create_service = staticmethod(population_count_create)
    update_service = staticmethod(population_count_update)
    instance_kwarg = "count"
    importer = PopulationCountImporter
    export_fields = (
        "uid",
        "area_code",
        "kind",
        "reference_date",
        "reference_date_precision",
        "total",
        "total_qualifier",
        "children",
        "children_qualifier",
        "method",
        "summary",
    )

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


# --- sources, organizations and the read-only tables ---------------------------------------------


@admin.register(Source)
class SourceAdmin(ServiceAdmin):
    list_display = ("title", "publisher", "published_on", "language", "reliability", "slug")
    list_filter = ("reliability", "language")
    search_fields = ("slug", "title", "publisher", "url")
    # A pasted address without a scheme is a web page: https, as Django 6 will assume.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = (
        "slug",
        "title",
        "publisher",
        "url",
        ("published_on", "published_on_precision"),
        "language",
        "reliability",
        "summary",
    )

    def get_readonly_fields(self, request, obj=None):
        # The slug is how seeds and importers find the source again.
        return ("slug",) if obj is not None else ()

    def service_save(self, request, form, formsets, change):
        data = form.cleaned_data
        slug = form.instance.slug if change else data["slug"]
        fields = {name: data[name] for name in model_field_names(form) if name not in ("slug", "title")}
        source, _created = source_upsert(slug=slug, title=data["title"], actor=request.user, **fields)
        return source

    def has_delete_permission(self, request, obj=None):
        return False  # cited facts point at it (PROTECT)


@admin.register(Organization)
class OrganizationAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "kind")
    list_filter = ("kind",)
    search_fields = ("name", "slug")

    def get_readonly_fields(self, request, obj=None):
        # The slug is how seeds, importers and memberships find the organization again.
        return ("slug",) if obj is not None else ()

    def service_save(self, request, form, formsets, change):
        data = form.cleaned_data
        slug = form.instance.slug if change else data["slug"]
        organization, _created = organization_upsert(slug=slug, name=data["name"], kind=data["kind"])
        return organization

    def has_delete_permission(self, request, obj=None):
        return False  # incidents and memberships point at it (PROTECT)


@admin.register(Citation)
class CitationAdmin(ReadOnlyAdmin):
    # Newest first, by the primary key: the model's order (source, locator) sorted every
    # citation for each page, 9 s for 1,000,000.
    ordering = ("-id",)
    list_display = ("source", "locator", "note", "incident", "order", "population_count", "designation")
    list_select_related = ("source", "incident__area", "order", "population_count__area", "designation__area")
    search_fields = ("source__slug", "source__title", "locator", "note")


@admin.register(OrderTarget)
class OrderTargetAdmin(ReadOnlyAdmin):
    list_display = ("area", "scope", "order")
    list_filter = ("scope",)
    list_select_related = ("area", "order")
    search_fields = ("^area__code", "area__name_en", "area__name_uk", "order__title")


@admin.register(DirtyArea)
class DirtyAreaAdmin(ReadOnlyAdmin):
    list_display = ("area", "marked_at", "version")
    list_select_related = ("area",)
    search_fields = ("^area__code", "area__name_en")


@admin.register(DirtyRecomputeRequest)
class DirtyRecomputeRequestAdmin(ReadOnlyAdmin):
    list_display = ("__str__", "requested_at")


# Deleted facts, for partners' incremental sync; the model arrives with the API work (issue 5).
_tombstone = next(
    (model for model in apps.get_app_config("reports").get_models() if model.__name__ == "Tombstone"), None
)
if _tombstone is not None:

    @admin.register(_tombstone)
    class TombstoneAdmin(ReadOnlyAdmin):
        list_display = ("resource", "uid", "organization", "deleted_at")
        list_filter = ("resource",)
        search_fields = ("=uid",)


# --- the area's page: what is reported about it ---------------------------------------------------


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


def orders_covering(area, *, limit=50):
    """Targets of orders that cover the area: on the area itself, or on an ancestor's whole subtree."""
    ancestors = Area.objects.ancestors_of(area)
    return (
        OrderTarget.objects.filter(Q(area=area) | Q(area__in=ancestors, scope=TargetScope.SUBTREE))
        .select_related("order", "area")
        .prefetch_related("order__citations__source")
        .order_by("-order__effective_from", "-order_id")[:limit]
    )


def orders_inside(area, *, limit=50):
    """Targets of orders on areas below this one (a raion's page lists its settlements' orders)."""
    return (
        OrderTarget.objects.filter(area__path__startswith=area.path)
        .exclude(area=area)
        .select_related("order", "area")
        .prefetch_related("order__citations__source")
        .order_by("-order__effective_from", "-order_id")[:limit]
    )


admin.site.unregister(Area)


@admin.register(Area)
class AreaWithReportsAdmin(AreaAdmin):
    """The area's page: its orders (direct or through a parent), incidents, counts, designations."""

    change_form_template = "admin/locations/area/change_form.html"
    inlines = [*AreaAdmin.inlines, AreaPopulationCountInline, AreaDesignationInline, AreaIncidentInline]

    def service_save(self, request, form, formsets, change):
        area = super().service_save(request, form, formsets, change)
        counts = formset_for(formsets, PopulationCount)
        for count_form in counts.initial_forms if counts is not None else []:
            changed = changed_fields(count_form, model_field_names(count_form))
            if changed:
                stored = PopulationCount.objects.get(pk=count_form.instance.pk)
                population_count_update(count=stored, actor=request.user, **changed)
        return area

    def change_view(self, request, object_id, form_url="", extra_context=None):
        area = self.get_object(request, object_id)
        if area is not None:
            extra_context = {
                **(extra_context or {}),
                "orders_covering": [(target, cited_sources(target.order)) for target in orders_covering(area)],
                "orders_inside": [(target, cited_sources(target.order)) for target in orders_inside(area)],
                "subtree_links": _subtree_links(area),
            }
        return super().change_view(request, object_id, form_url, extra_context)


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
