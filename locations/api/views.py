"""Areas over the API, addressed by code. Read-only: the gazetteer import writes the tree."""

import django_filters
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.decorators import action

from evactrack.api.exports import export_format, export_response
from evactrack.api.renderers import ExportNegotiation, FastJSONRenderer
from evactrack.api.viewsets import ReadOnlyViewSet
from locations.api.serializers import AreaSerializer, parent_code
from locations.filtersets import AreaFilterSet
from locations.models import Area
from reports.filtersets import area_has_active_order


class AreaApiFilterSet(AreaFilterSet):
    """The tree filters plus those that read other apps (the API may; locations may not)."""

    has_active_order = django_filters.BooleanFilter(
        method="filter_has_active_order", help_text=_("Covered (or not) by an evacuation order in force today.")
    )

    class Meta(AreaFilterSet.Meta):
        fields = [*AreaFilterSet.Meta.fields, "has_active_order"]

    def filter_has_active_order(self, queryset, name, value):
        exists = area_has_active_order()
        return queryset.filter(exists if value else ~exists)


AREA_EXPORT_COLUMNS = [
    ("code", "#loc+code"), ("pcode", "#loc+pcode"), ("adm1_pcode", "#adm1+code"), ("adm3_pcode", "#adm3+code"),
    ("level", "#loc+level"), ("category", "#loc+type"), ("parent", "#loc+code+parent"), ("name_uk", "#loc+name+i_uk"),
    ("name_en", "#loc+name+i_en"), ("latitude", "#geo+lat"), ("longitude", "#geo+lon"),
]  # fmt: skip


class AreaViewSet(ReadOnlyViewSet):
    """The administrative tree: countries, oblasts, raions, hromadas, settlements, city districts."""

    serializer_class = AreaSerializer
    filterset_class = AreaApiFilterSet
    queryset = Area.objects.all()
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9-]{1,24}"
    # Codes are unique and never reused: a stable cursor position.
    ordering = "code"

    def get_object(self):
        self.kwargs["code"] = self.kwargs["code"].upper()
        return super().get_object()

    @extend_schema(
        summary="Export areas (CSV with HXL hashtags, or GeoJSON), streamed",
        parameters=[
            OpenApiParameter("format", OpenApiTypes.STR, OpenApiParameter.QUERY, enum=["csv", "geojson"]),
        ],
        responses={(200, "text/csv"): OpenApiTypes.STR, (200, "application/geo+json"): OpenApiTypes.OBJECT},
    )
    @action(detail=False, methods=["get"], renderer_classes=[FastJSONRenderer],
            content_negotiation_class=ExportNegotiation, pagination_class=None)  # fmt: skip
    def export(self, request):
        fmt = export_format(request)
        rows = (
            self.filter_queryset(self.get_queryset())
            .order_by("code")
            .values_list("code", "pcode", "level", "category", "path", "name_uk", "name_en", "latitude", "longitude")
            .iterator(chunk_size=2000)
        )
        shaped = ((r[0], r[1], r[1][:4], r[1][:9], r[2], r[3], parent_code(r[4]), r[5], r[6], r[7], r[8]) for r in rows)
        return export_response(
            fmt=fmt, filename="areas", columns=AREA_EXPORT_COLUMNS, rows=shaped, point=lambda r: (r[9], r[10])
        )
