"""What the four kinds of facts share: provenance fields, cited sources, saving through a service."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from evactrack.kernel.admin import (
    EstimatedCountPaginator,
    ServiceAdmin,
    ServiceInlineFormSet,
    changed_fields,
    form_fields,
    formset_changed,
    formset_for,
    kept_rows,
    model_field_names,
)
from reports.admin.access import FIELD_ROLES, staff_role
from reports.admin.imports import ImportExportMixin
from reports.models import Citation
from reports.services import CitationInput

FACT_READONLY = ("uid", "created_by", "created_at", "updated_at")


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
    # The heading says the rule: a fact is saved only with a source (the formset refuses none).
    verbose_name_plural = _("sources cited (at least one, required)")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("source")


def citation_inline(fact_field):
    return type(f"{fact_field.title()}CitationInline", (CitationInline,), {"fk_name": fact_field})


def citation_inputs(formset):
    return [
        CitationInput(source=row["source"], locator=row.get("locator") or "", note=row.get("note") or "")
        for row in kept_rows(formset)
    ]


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
