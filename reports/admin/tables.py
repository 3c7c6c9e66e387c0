"""Tables the admin shows but never writes: citations, order targets, dirty marks, deleted facts,
the change feed."""

from django.contrib import admin

from evactrack.kernel.admin import ReadOnlyAdmin
from reports.models import Change, Citation, DirtyArea, DirtyRecomputeRequest, OrderTarget, Tombstone


@admin.register(Citation)
class CitationAdmin(ReadOnlyAdmin):
    # Newest first, by the primary key: the model's order (source, locator) would sort every
    # citation for each page, seconds at 1,000,000.
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


@admin.register(Tombstone)
class TombstoneAdmin(ReadOnlyAdmin):
    """Deleted facts, kept so partners who sync incrementally learn what is gone."""

    list_display = ("resource", "uid", "organization", "deleted_at")
    list_filter = ("resource",)
    search_fields = ("=uid",)


@admin.register(Change)
class ChangeAdmin(ReadOnlyAdmin):
    """The change feed's entries: what changed, who could read it before and after, its seq."""

    ordering = ("-id",)
    list_display = ("id", "seq", "type", "uid", "at", "before", "after")
    list_filter = ("type",)
    search_fields = ("=uid",)
