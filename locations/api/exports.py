"""The area columns of every export: adm1 and adm2 code and name, and the adm3 code, as HXL
and OCHA's common operational datasets name them."""

from django.db.models import Case, When
from django.db.models.functions import Length, Substr
from django.db.models.lookups import GreaterThanOrEqual

from evactrack.kernel.api.exports import Column
from locations.choices import AreaLevel
from locations.models import PATH_SEPARATOR, Area


class AdminUnits:
    """The oblasts (adm1) and raions (adm2) by code, read in one query the first time an export
    asks: a few hundred rows, so that no row of the export costs a query."""

    LEVELS = {AreaLevel.OBLAST: 0, AreaLevel.RAION: 1}

    def __init__(self):
        rows = (
            Area.objects.filter(level__in=list(self.LEVELS)).order_by().values_list("code", "level", "pcode", "name_en")
        )
        self.by_code = {code: (self.LEVELS[level], pcode, name) for code, level, pcode, name in rows}

    def of_path(self, path: str) -> list[tuple[str, str] | None]:
        """The (pcode, name) of the oblast and of the raion on an area's path (the area itself
        included); None where there is none (abroad, a city outside raions, an oblast's raion)."""
        found = [None, None]
        for code in path.split(PATH_SEPARATOR):
            unit = self.by_code.get(code)
            if unit is not None:
                found[unit[0]] = unit[1:]
        return found


def pcode_prefix(pcode: str, length: int):
    """The area's P-code cut to a level's length (a P-code is the KATOTTG prefix of its level:
    UA63, UA6308, UA6308009), by the database; null for an area above that level or without a
    P-code (abroad, city districts)."""
    return Case(When(GreaterThanOrEqual(Length(pcode), length), then=Substr(pcode, 1, length)), default=None)


def admin_columns(*, pcode: str, oblast: str | None = None, raion: str | None = None, path: str | None = None):
    """adm1 and adm2 code and name, and the adm3 code, of a row's area: the P-code and English
    name of its oblast and raion, which come from the row's `oblast` and `raion` relations
    (incidents keep them; a join) or else from its area's `path`, and the prefix of its `pcode`."""
    adm3 = Column("adm3_pcode", "#adm3+code", pcode_prefix(pcode, 9))
    if path is None:
        return [
            Column("adm1_pcode", "#adm1+code", f"{oblast}__pcode"),
            Column("adm1_name", "#adm1+name", f"{oblast}__name_en"),
            Column("adm2_pcode", "#adm2+code", f"{raion}__pcode"),
            Column("adm2_name", "#adm2+name", f"{raion}__name_en"),
            adm3,
        ]

    def unit_value(level, index):
        def value(row, context):
            unit = context.lookup(AdminUnits).of_path(row[path])[level]
            return None if unit is None else unit[index]

        return value

    return [
        Column("adm1_pcode", "#adm1+code", unit_value(0, 0)),
        Column("adm1_name", "#adm1+name", unit_value(0, 1)),
        Column("adm2_pcode", "#adm2+code", unit_value(1, 0)),
        Column("adm2_name", "#adm2+name", unit_value(1, 1)),
        adm3,
    ]
