"""Choices of the area tree: KATOTTG categories and the levels they sit at."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class AreaLevel(models.TextChoices):
    """Depth in the administrative tree, the same for every country."""

    COUNTRY = "country", _("country")
    OBLAST = "oblast", _("oblast")
    RAION = "raion", _("raion")
    HROMADA = "hromada", _("hromada")
    SETTLEMENT = "settlement", _("settlement")
    CITY_DISTRICT = "city_district", _("city district")


class AreaCategory(models.TextChoices):
    """KATOTTG object category (the letter in the codifier), plus 'country' for the roots."""

    COUNTRY = "country", _("country")
    OBLAST = "oblast", _("oblast or autonomous republic")  # O
    SPECIAL_STATUS_CITY = "special_status_city", _("city with special status")  # K
    RAION = "raion", _("raion")  # P
    HROMADA = "hromada", _("territorial hromada")  # H
    CITY = "city", _("city")  # M
    URBAN_SETTLEMENT = "urban_settlement", _("urban-type settlement")  # T (before 2024)
    RURAL_SETTLEMENT = "rural_settlement", _("rural settlement (selyshche)")  # X
    VILLAGE = "village", _("village")  # C
    CITY_DISTRICT = "city_district", _("city district")  # B


# The codifier's letters, for importers and for display next to the official code.
KATOTTG_LETTER_TO_CATEGORY = {
    "O": AreaCategory.OBLAST,
    "K": AreaCategory.SPECIAL_STATUS_CITY,
    "P": AreaCategory.RAION,
    "H": AreaCategory.HROMADA,
    "M": AreaCategory.CITY,
    "T": AreaCategory.URBAN_SETTLEMENT,
    "X": AreaCategory.RURAL_SETTLEMENT,
    "C": AreaCategory.VILLAGE,
    "B": AreaCategory.CITY_DISTRICT,
}
CATEGORY_TO_KATOTTG_LETTER = {category: letter for letter, category in KATOTTG_LETTER_TO_CATEGORY.items()}

# Which categories may stand at which level; the database enforces the same pairs.
LEVEL_CATEGORIES = {
    AreaLevel.COUNTRY: [AreaCategory.COUNTRY],
    AreaLevel.OBLAST: [AreaCategory.OBLAST, AreaCategory.SPECIAL_STATUS_CITY],
    AreaLevel.RAION: [AreaCategory.RAION],
    AreaLevel.HROMADA: [AreaCategory.HROMADA],
    AreaLevel.SETTLEMENT: [
        AreaCategory.CITY,
        AreaCategory.URBAN_SETTLEMENT,
        AreaCategory.RURAL_SETTLEMENT,
        AreaCategory.VILLAGE,
    ],
    AreaLevel.CITY_DISTRICT: [AreaCategory.CITY_DISTRICT],
}
CATEGORY_LEVEL = {category: level for level, categories in LEVEL_CATEGORIES.items() for category in categories}

# The level a parent must have. A special-status city (Kyiv, Sevastopol) is an oblast-level
# unit whose districts hang directly under it. Prypiat and Chornobyl, in the exclusion zone,
# belong to no hromada: the codifier lists them directly under Kyiv oblast.
PARENT_LEVELS = {
    AreaLevel.COUNTRY: [],
    AreaLevel.OBLAST: [AreaLevel.COUNTRY],
    AreaLevel.RAION: [AreaLevel.OBLAST],
    AreaLevel.HROMADA: [AreaLevel.RAION],
    AreaLevel.SETTLEMENT: [AreaLevel.HROMADA, AreaLevel.OBLAST],
    AreaLevel.CITY_DISTRICT: [AreaLevel.SETTLEMENT, AreaLevel.OBLAST],
}


class AliasKind(models.TextChoices):
    OFFICIAL_UK = "official_uk", _("official name (Ukrainian)")
    OFFICIAL_EN = "official_en", _("official transliteration (2010 standard)")
    VARIANT = "variant", _("spelling variant")
    RUSSIAN = "russian", _("Russian or Russian-based form")
    HISTORICAL = "historical", _("historical name")
    GEONAMES = "geonames", _("GeoNames alternate name")
