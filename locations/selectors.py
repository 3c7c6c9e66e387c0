"""Reads of the area tree that need care (subtrees, lookups by spelling)."""

from locations.models import Area, AreaAlias
from locations.names import normalize_name


def area_get_by_code(code: str) -> Area | None:
    return Area.objects.filter(code=code.strip().upper()).select_related("parent").first()


def areas_named(name: str, *, within: Area | None = None):
    """Every area one of whose spellings is `name` (there may be many: names repeat)."""
    area_ids = AreaAlias.objects.filter(normalized=normalize_name(name)).values("area_id")
    areas = Area.objects.filter(pk__in=area_ids)
    if within is not None:
        areas = areas.within(within)
    return areas
