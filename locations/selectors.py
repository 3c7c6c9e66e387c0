"""Reads of the area tree that need care (subtrees, lookups by spelling)."""

from locations.models import PATH_SEPARATOR, Area, AreaAlias
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


def path_prefixes(path: str) -> list[str]:
    """The paths of an area's ancestors and its own, from the root: `UA/X/Y/` → `UA/`, `UA/X/`, `UA/X/Y/`."""
    parts = path.split(PATH_SEPARATOR)[:-1]
    return [PATH_SEPARATOR.join(parts[: depth + 1]) + PATH_SEPARATOR for depth in range(len(parts))]


def ancestors_at_levels(paths, levels) -> dict[str, dict[str, int]]:
    """For each of these area paths, the id of the area itself or its ancestor at each of these
    levels, by level; a level with no such area is left out.

    For the upper levels, which hold few areas (Ukraine: 27 oblasts, 136 raions): one query
    reads them all, whatever the number of paths.
    """
    found = {
        path: (level, pk)
        for path, level, pk in Area.objects.filter(level__in=levels).values_list("path", "level", "id")
    }
    return {path: dict(found[prefix] for prefix in path_prefixes(path) if prefix in found) for path in set(paths)}


def ancestors_by_path(paths) -> dict[str, list[dict]]:
    """For each of these area paths, its ancestors from the oblast down to the parent (the
    country left out: every area is in it), each as `{code, name_en, name_uk}`. One query."""
    chains = {path: path.split(PATH_SEPARATOR)[1:-2] for path in set(paths)}
    codes = {code for chain in chains.values() for code in chain}
    named = {
        row["code"]: row for row in Area.objects.filter(code__in=codes).order_by().values("code", "name_en", "name_uk")
    }
    return {path: [named[code] for code in chain if code in named] for path, chain in chains.items()}
