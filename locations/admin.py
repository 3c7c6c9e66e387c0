"""Admin for the area tree. Writes go through locations.services.

The area's page also shows the reports about it and its status. Locations imports no other app,
so it defines the page's base here (AreaAdminBase, not registered); reports and the status engine
contribute their parts, and evactrack/status/admin.py composes and registers the one AreaAdmin.
"""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from evactrack.kernel.admin import (
    ReadOnlyAdmin,
    ServiceAdmin,
    ServiceInlineFormSet,
    formset_for,
    kept_rows,
)
from locations.models import AreaAlias
from locations.names import normalize_name
from locations.resolver import search_areas
from locations.services import area_alias_add, area_upsert

AREA_FIELDS = ("code", "category", "parent", "name_uk", "name_en", "pcode", "latitude", "longitude")


def search_by_alias(queryset, search_term):
    """Areas any of whose spellings starts with the term: "Kupyansk" finds Kupiansk."""
    normalized = normalize_name(search_term)
    if len(normalized) < 2:
        return queryset.none()
    alias_area_ids = AreaAlias.objects.filter(normalized__startswith=normalized).values("area_id")
    return queryset.filter(pk__in=alias_area_ids)


class AreaAliasInline(admin.TabularInline):
    """Spellings are added here; changing or removing one is a gazetteer job (no service yet)."""

    model = AreaAlias
    formset = ServiceInlineFormSet
    fields = ("name", "kind", "language")
    extra = 0
    can_delete = False

    def has_change_permission(self, request, obj=None):
        return False


class AreaAdminBase(ServiceAdmin):
    """The area's own fields and spellings.

    Parts that other apps contribute extend `page_context` (what the page shows beside the
    fields, cooperatively through super()) and `service_save`, and list their inlines in
    `area_inlines` for the composed admin.
    """

    list_display = ("name_en", "name_uk", "code", "level", "category", "parent")
    list_filter = ("level", "category")
    list_select_related = ("parent",)
    # "^code" is a prefix match (an index scan); names are matched anywhere, and by alias below.
    search_fields = ("^code", "^pcode", "name_uk", "name_en")
    search_help_text = _("Code prefix, or any spelling of the name (Kupiansk, Kupyansk, Куп'янськ).")
    autocomplete_fields = ("parent",)
    readonly_fields = ("level", "path")
    fields = (*AREA_FIELDS, "level", "path")
    inlines = [AreaAliasInline]

    def page_context(self, request, area) -> dict:
        """Template context of the area's page beside its fields; each contributed part adds its keys."""
        return {}

    def change_view(self, request, object_id, form_url="", extra_context=None):
        area = self.get_object(request, object_id)
        if area is not None:
            extra_context = {**(extra_context or {}), **self.page_context(request, area)}
        return super().change_view(request, object_id, form_url, extra_context)

    def get_readonly_fields(self, request, obj=None):
        # The code is the area's identity; a new code is a new area.
        return ("code", *self.readonly_fields) if obj is not None else self.readonly_fields

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if term:
            # The resolver ranks the places a text may name (official spellings, transliteration
            # variants, Russian and old names, typos; the city before its namesake villages), so
            # an autocomplete offers Kupiansk first for "Kupyansk".
            ranked = search_areas(queryset, term)
            if ranked.exists():
                return ranked, False
        results, may_have_duplicates = super().get_search_results(request, queryset, search_term)
        if term:
            results = results | search_by_alias(queryset, term)
        return results, may_have_duplicates

    def has_delete_permission(self, request, obj=None):
        # Facts point at areas (PROTECT); retiring an area is a gazetteer import, not a click.
        return False

    def service_save(self, request, form, formsets, change):
        data = form.cleaned_data
        code = form.instance.code if change else data["code"]
        area, _created = area_upsert(
            code=code,
            category=data["category"],
            name_uk=data["name_uk"],
            parent=data.get("parent"),
            name_en=data.get("name_en") or "",
            pcode=data.get("pcode") or "",
            latitude=data.get("latitude"),
            longitude=data.get("longitude"),
        )
        aliases = formset_for(formsets, AreaAlias)
        if aliases is not None:
            for row in kept_rows(aliases):
                if row.get("id") is None:
                    area_alias_add(area=area, name=row["name"], kind=row["kind"], language=row.get("language") or "")
        return area


@admin.register(AreaAlias)
class AreaAliasAdmin(ReadOnlyAdmin):
    """Looking up spellings across the whole tree; they are added on the area's page."""

    list_display = ("name", "area", "kind", "language")
    list_filter = ("kind", "language")
    list_select_related = ("area",)
    search_fields = ("name", "^normalized", "^area__code")
