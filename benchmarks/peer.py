"""The peer of the partner API benchmark: the incidents and areas lists as a newcomer to DRF
would write them — ModelViewSet, ModelSerializer, a django-filter FilterSet, select_related and
prefetch_related — with the project's REST framework defaults (authentication, pagination,
rendering). bench_api times it beside the real endpoints, so the real lists' lead over the
obvious version is measured, not assumed. Only benchmarks.urls mounts it.
"""

import django_filters
from django.db.models import Prefetch
from rest_framework import serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.routers import SimpleRouter

from locations.models import Area
from reports.models import Citation, Incident


def area_by_code(code: str) -> Area:
    """The area with this code, or the one with this P-code (UA63), as partners name them."""
    code = code.strip().upper()
    area = Area.objects.filter(code=code).first() or Area.objects.filter(pcode=code).first()
    if area is None:
        raise ValidationError({"within": f"Unknown area code {code}."})
    return area


class PeerCitationSerializer(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = Citation
        fields = ["source", "locator", "note"]


class PeerIncidentSerializer(serializers.ModelSerializer):
    uid = serializers.CharField(read_only=True)
    area = serializers.SlugRelatedField(slug_field="code", read_only=True)
    area_name = serializers.CharField(source="area.name_en", read_only=True)
    reporting_organization = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    citations = PeerCitationSerializer(many=True, read_only=True)
    # The benchmark reads as a coordinator, who is shown every field.
    withheld = serializers.ListField(child=serializers.CharField(), default=list, read_only=True)

    class Meta:
        model = Incident
        fields = [
            "uid", "incident_type", "occurred_on", "occurred_on_precision", "area", "area_name", "latitude",
            "longitude", "geo_precision", "fatalities", "fatalities_qualifier", "injured", "injured_qualifier",
            "children_killed", "children_killed_qualifier", "children_injured", "children_injured_qualifier",
            "facility_type", "facility_name", "reporting_organization", "verification_state", "verified_at",
            "verification_note", "summary", "citations", "withheld", "created_at", "updated_at",
        ]  # fmt: skip


class PeerAreaSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)
    status = serializers.SerializerMethodField()

    class Meta:
        model = Area
        fields = ["code", "pcode", "level", "category", "parent", "name_uk", "name_en", "latitude", "longitude",
                  "status", "updated_at"]  # fmt: skip

    def get_status(self, area) -> str:
        # A missing reverse one-to-one raises an AttributeError: an area never judged is normal.
        status = getattr(area, "status", None)
        return status.level if status is not None else "normal"


class PeerIncidentFilterSet(django_filters.FilterSet):
    within = django_filters.CharFilter(method="filter_within")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Incident
        fields = ["within", "updated_since", "verification_state", "incident_type"]

    def filter_within(self, queryset, name, value):
        return queryset.filter(area__path__startswith=area_by_code(value).path)


class PeerAreaFilterSet(django_filters.FilterSet):
    within = django_filters.CharFilter(method="filter_within")
    updated_since = django_filters.IsoDateTimeFilter(field_name="updated_at", lookup_expr="gte")

    class Meta:
        model = Area
        fields = ["within", "updated_since", "level"]

    def filter_within(self, queryset, name, value):
        return queryset.filter(path__startswith=area_by_code(value).path)


class PeerIncidentViewSet(viewsets.ModelViewSet):
    # Reads only: the real API writes through the services, and this one must not bypass them.
    http_method_names = ["get", "head", "options"]
    serializer_class = PeerIncidentSerializer
    filterset_class = PeerIncidentFilterSet
    ordering = "-id"
    queryset = Incident.objects.select_related("area", "reporting_organization").prefetch_related(
        Prefetch("citations", queryset=Citation.objects.select_related("source").order_by("source__slug", "locator"))
    )


class PeerAreaViewSet(viewsets.ModelViewSet):
    http_method_names = ["get", "head", "options"]
    serializer_class = PeerAreaSerializer
    filterset_class = PeerAreaFilterSet
    lookup_field = "code"
    ordering = "code"
    queryset = Area.objects.select_related("parent", "status")


router = SimpleRouter()
router.register("incidents", PeerIncidentViewSet, basename="peer-incident")
router.register("areas", PeerAreaViewSet, basename="peer-area")
urlpatterns = router.urls
