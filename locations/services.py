"""The only code that writes areas and their aliases."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from evactrack.db import reject_nul_characters
from locations.choices import CATEGORY_LEVEL, PARENT_LEVELS
from locations.models import PATH_SEPARATOR, Area, AreaAlias
from locations.names import normalize_name, transliterate_uk


def area_path(*, code: str, parent: Area | None) -> str:
    return (parent.path if parent else "") + code + PATH_SEPARATOR


@transaction.atomic
def area_upsert(
    *,
    code: str,
    category: str,
    name_uk: str,
    parent: Area | None = None,
    name_en: str = "",
    pcode: str = "",
    latitude: float | None = None,
    longitude: float | None = None,
) -> tuple[Area, bool]:
    """Create the area with this code, or bring the stored one up to date. Returns (area, created).

    The level follows from the category; the English name defaults to the official
    transliteration of the Ukrainian one.
    """
    level = CATEGORY_LEVEL.get(category)
    if level is None:
        raise ValidationError({"category": _("Unknown category %(value)r.") % {"value": category}})
    if parent is not None and parent.level not in PARENT_LEVELS[level]:
        raise ValidationError(
            {"parent": _("A %(level)s cannot sit under a %(parent)s.") % {"level": level, "parent": parent.level}}
        )
    fields = {
        "category": category,
        "level": level,
        "parent": parent,
        "path": area_path(code=code, parent=parent),
        "name_uk": name_uk,
        "name_en": name_en or transliterate_uk(name_uk),
        "pcode": pcode,
        "latitude": latitude,
        "longitude": longitude,
    }
    area = Area.objects.filter(code=code).first()
    created = area is None
    if created:
        area = Area(code=code, **fields)
    else:
        changed = {name: value for name, value in fields.items() if getattr(area, name) != value}
        if not changed:
            return area, False
        if "path" in changed:
            _move_subtree(area, new_path=fields["path"])
        for name, value in changed.items():
            setattr(area, name, value)
    reject_nul_characters(area)
    area.full_clean()
    area.save()
    area_alias_add(area=area, name=area.name_uk, kind="official_uk", language="uk")
    area_alias_add(area=area, name=area.name_en, kind="official_en", language="en")
    return area, created


def _move_subtree(area: Area, *, new_path: str) -> None:
    """Rewrite the paths below an area whose parent changed (rare: a reform of the codifier)."""
    old_path = area.path
    for descendant in Area.objects.filter(path__startswith=old_path).exclude(pk=area.pk):
        descendant.path = new_path + descendant.path[len(old_path) :]
        descendant.save(update_fields=["path", "updated_at"])


def area_alias_add(*, area: Area, name: str, kind: str, language: str = "") -> AreaAlias:
    """Record another spelling of the area's name; adding a known spelling again changes nothing."""
    name = " ".join(name.split())
    alias = AreaAlias.objects.filter(area=area, name=name).first()
    if alias is not None:
        return alias
    alias = AreaAlias(area=area, name=name, normalized=normalize_name(name), kind=kind, language=language)
    reject_nul_characters(alias)
    alias.full_clean()
    alias.save()
    return alias
