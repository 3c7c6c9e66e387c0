"""Filters of the area tree, shared by the API and anything else that lists areas.

Only the tree itself: filters that need reports (active orders) or the status engine are
added by the API's subclass in evactrack/status/api/views.py, so locations keeps importing no app.
"""

import math

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS
from django.db.models import F, Q
from django.db.models.functions import ASin, Cos, Power, Radians, Sin, Sqrt
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field

from evactrack.kernel.api.filters import UtcDateTimeFilter
from evactrack.kernel.api.pagination import MAX_PAGE_SIZE
from evactrack.kernel.api.statements import Statement
from locations.choices import AreaCategory, AreaLevel
from locations.geo import EARTH_RADIUS_KM
from locations.models import Area
from locations.resolver import search_areas

MAX_NEAR_KM = 500.0
# A search (`q`) answers one ranked page: the most candidates it considers.
SEARCH_CANDIDATES_MAX = MAX_PAGE_SIZE + 1
# django-filter's CharFilter has no bound; codes are at most 24 characters.
CODE_MAX_LENGTH = 24
# PostgreSQL's integer maximum; SQLite has none, and an id above it names no row on either.
ID_MAX = 2**31 - 1


# What the filters read of the area, in the model's field order (Model.from_db takes them so);
# any other field loads when first read.
AREA_LOOKUP_FIELDS = ("id", "code", "pcode", "level", "path")
# The lookup behind every `area`, `parent` and `within` filter, compiled once: building it
# through the ORM on every request costs far more than the database's answer
# (evactrack.kernel.api.statements, docs/BENCHMARKS.md).
AREA_BY_CODE = Statement(
    # A code match wins over P-code matches (see below): three rows are enough to tell.
    lambda code: Area.objects.filter(Q(code=code) | Q(pcode=code)).order_by().values(*AREA_LOOKUP_FIELDS)[:3],
    "code",
)


def area_by_code_or_error(code: str, field: str) -> Area:
    """The area with this KATOTTG code or, failing that, this OCHA P-code (UA63, UA6308…),
    the two ways partners name areas. One query."""
    code = code.strip().upper()
    area = None
    if code and len(code) <= CODE_MAX_LENGTH:
        # A code match wins over P-code matches; a P-code shared by two areas names neither.
        _names, rows = AREA_BY_CODE.run(code=code)
        matches = [Area.from_db(DEFAULT_DB_ALIAS, AREA_LOOKUP_FIELDS, row) for row in rows]
        by_code = [match for match in matches if match.code == code]
        area = by_code[0] if by_code else (matches[0] if len(matches) == 1 else None)
    if area is None:
        raise ValidationError({field: _("Unknown area code %(code)s.") % {"code": code[:CODE_MAX_LENGTH]}})
    return area


def within_q(value: str, *, field: str, path_field: str = "path") -> Q:
    """Rows whose area lies anywhere under the area with this code (the area itself included)."""
    area = area_by_code_or_error(value, field)
    return Q(**{f"{path_field}__startswith": area.path})


# Choice filters use distinct=False: they filter the row's own column, so they cannot
# duplicate rows, and DISTINCT would make the database sort the whole table.


class NearField(forms.CharField):
    """`lat,lon,km`: a point and a radius."""

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return None
        try:
            lat, lon, km = (float(part) for part in value.split(","))
        except ValueError:
            raise ValidationError(_("Give latitude,longitude,kilometres, e.g. 49.71,37.61,10.")) from None
        if not (-90 <= lat <= 90 and -180 <= lon <= 180 and 0 < km <= MAX_NEAR_KM):
            raise ValidationError(
                _("Latitude -90..90, longitude -180..180, radius above 0 and at most %(max)d km.")
                % {"max": MAX_NEAR_KM}
            )
        return lat, lon, km


@extend_schema_field({"type": "string", "pattern": r"^-?[0-9.]+,-?[0-9.]+,[0-9.]+$", "example": "49.71,37.61,10"})
class NearFilter(django_filters.Filter):
    field_class = NearField

    def filter(self, queryset, value):
        if not value:
            return queryset
        lat, lon, km = value
        # A bounding box the indexes can use first, then the exact great-circle distance.
        dlat = math.degrees(km / EARTH_RADIUS_KM)
        dlon = math.degrees(km / (EARTH_RADIUS_KM * max(math.cos(math.radians(lat)), 0.01)))
        queryset = queryset.filter(latitude__range=(lat - dlat, lat + dlat), longitude__range=(lon - dlon, lon + dlon))
        haversine = (
            2
            * EARTH_RADIUS_KM
            * ASin(
                Sqrt(
                    Power(Sin((Radians(F("latitude")) - math.radians(lat)) / 2), 2)
                    + math.cos(math.radians(lat))
                    * Cos(Radians(F("latitude")))
                    * Power(Sin((Radians(F("longitude")) - math.radians(lon)) / 2), 2)
                )
            )
        )
        return queryset.alias(distance_km=haversine).filter(distance_km__lte=km)


class IdFilter(django_filters.NumberFilter):
    """A row id: a whole number from 1 up (NumberFilter alone takes any decimal)."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", ID_MAX)
        super().__init__(*args, **kwargs)


class AreaFilterSet(django_filters.FilterSet):
    level = django_filters.MultipleChoiceFilter(choices=AreaLevel.choices, distinct=False)
    category = django_filters.MultipleChoiceFilter(choices=AreaCategory.choices, distinct=False)
    parent = django_filters.CharFilter(method="filter_parent", help_text=_("Code of the parent area."))
    parent_id = IdFilter(field_name="parent_id")
    within = django_filters.CharFilter(
        method="filter_within", help_text=_("Code of an area: every area under it, at any depth, and itself.")
    )
    q = django_filters.CharFilter(
        method="filter_q",
        max_length=200,
        help_text=_(
            "Any spelling of a name. Answers one page, best match first (no cursor): `truncated` "
            "says whether more areas matched than `limit`. GET /api/v1/areas/resolve/ says which one is meant."
        ),
    )
    near = NearFilter(help_text=_("lat,lon,km: areas with a point within km of the point."))
    updated_since = UtcDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Area
        fields = ["level", "category", "parent", "parent_id", "within", "q", "near", "pcode", "updated_since"]

    def filter_parent(self, queryset, name, value):
        return queryset.filter(parent=area_by_code_or_error(value, name))

    def filter_within(self, queryset, name, value):
        return queryset.filter(within_q(value, field=name))

    def filter_q(self, queryset, name, value):
        # The gazetteer's resolver: every spelling (Kupyansk, Купянск, a typo), ambiguous
        # candidates kept, best first. `within` and `level` narrow the candidates before the
        # cut (they filter the rows again afterwards, which changes nothing); one more than a
        # page can hold, so that the list can tell a cut page from a complete one.
        within, levels = self.form.cleaned_data.get("within"), self.form.cleaned_data.get("level")
        return search_areas(
            queryset,
            value,
            within=area_by_code_or_error(within, "within") if within else None,
            levels=levels or None,
            limit=SEARCH_CANDIDATES_MAX,
        )
