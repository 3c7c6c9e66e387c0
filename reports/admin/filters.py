"""List filters shared by the fact admins: an area and everything below it."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from locations.choices import AreaLevel
from locations.models import Area
from reports.models import OrderTarget


class AreaSubtreeFilter(admin.SimpleListFilter):
    """Facts in an area and everything below it: ?within=UA6308 (shareable, bookmarkable).

    The choices list the oblasts; any area code works in the URL, and an area's page links here.
    """

    title = _("area (and below)")
    parameter_name = "within"
    # The field that holds the area on this model; orders use their targets' areas.
    area_lookup = "area"

    def lookups(self, request, model_admin):
        choices = [
            (area.code, area.name_en) for area in Area.objects.filter(level=AreaLevel.OBLAST).order_by("name_en")
        ]
        value = self.value()
        if value and value not in dict(choices):
            area = Area.objects.filter(code=value).first()
            if area is not None:
                choices.insert(0, (area.code, str(area)))
        return choices

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        area = Area.objects.filter(code=value.strip().upper()).first()
        if area is None:
            return queryset.none()
        if self.area_lookup == "area":
            return queryset.filter(area__path__startswith=area.path)
        # One order has many targets: a subquery keeps each order once.
        order_ids = OrderTarget.objects.filter(area__path__startswith=area.path).values("order_id")
        return queryset.filter(pk__in=order_ids)


class OrderAreaSubtreeFilter(AreaSubtreeFilter):
    area_lookup = "targets__area"
