"""Filters of reports: incidents, evacuation orders, population counts, sources, deletions."""

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evactrack.kernel.api.filters import UtcDateTimeFilter
from evactrack.kernel.db import DatePrecision
from locations.choices import AreaLevel
from locations.filtersets import IdFilter, area_by_code_or_error, within_q
from locations.models import Area, InSubtree
from reports.choices import (
    ControlKind,
    CountKind,
    FacilityType,
    IncidentType,
    OrderKind,
    OrderState,
    PopulationGroup,
    Reliability,
    VerificationState,
)
from reports.models import (
    LOCATED_LEVELS,
    ControlDesignation,
    EvacuationOrder,
    Incident,
    OrderTarget,
    PopulationCount,
    Source,
    Tombstone,
)

INT_MAX = 2**31 - 1
# Areas whose subtree holds few enough incidents to read them all by area rather than walk the
# whole list in order until a page is full.
SMALL_SUBTREE_LEVELS = {AreaLevel.HROMADA, AreaLevel.SETTLEMENT, AreaLevel.CITY_DISTRICT}


def order_in_force_q(as_of, prefix: str = "") -> Q:
    """Orders in force on `as_of`: started, not ended, not lifted by then, and not drafts."""
    p = prefix
    return (
        Q(**{f"{p}effective_from__lte": as_of})
        & (Q(**{f"{p}effective_until__isnull": True}) | Q(**{f"{p}effective_until__gte": as_of}))
        & (Q(**{f"{p}lifted_on__isnull": True}) | Q(**{f"{p}lifted_on__gt": as_of}))
        & ~Q(**{f"{p}state": OrderState.DRAFT})
    )


def area_has_active_order(as_of=None) -> Q:
    """For an Area queryset: an order in force on `as_of` (today) covers the area, by targeting
    it or the subtree of one of its ancestors.

    Asked along the parent chain against the targets in force, which the database reads once
    (subqueries that do not depend on the area): orders in force are few, an area has at most
    five ancestors. A correlated EXISTS comparing paths would let SQLite scan every area for
    every area, most of a minute for a page of 30,000 settlements with no order in force."""
    in_force = OrderTarget.objects.filter(order_in_force_q(as_of or timezone.localdate(), "order__"))
    subtree_targets = in_force.filter(scope="subtree").values("area_id")
    covered = Q(pk__in=in_force.values("area_id"))
    ancestor = "parent_id"
    for _level in AreaLevel.values[1:]:  # one step up per level below the top one
        covered |= Q(**{f"{ancestor}__in": subtree_targets})
        ancestor = f"parent__{ancestor}"
    return covered


# Choice filters use distinct=False: they filter the row's own column, so they cannot
# duplicate rows, and DISTINCT would make the database sort the whole table.


class UpdatedSinceMixin(django_filters.FilterSet):
    updated_since = UtcDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", help_text=_("Only rows changed at or after this time.")
    )


class IncidentFilterSet(UpdatedSinceMixin):
    occurred_after = django_filters.DateFilter(field_name="occurred_on", lookup_expr="gte")
    occurred_before = django_filters.DateFilter(field_name="occurred_on", lookup_expr="lte")
    type = django_filters.MultipleChoiceFilter(field_name="incident_type", choices=IncidentType.choices, distinct=False)
    area = django_filters.CharFilter(method="filter_area", help_text=_("Code of the area itself."))
    within = django_filters.CharFilter(
        method="filter_within", help_text=_("Code of an area: incidents anywhere under it.")
    )
    verification_state = django_filters.MultipleChoiceFilter(choices=VerificationState.choices, distinct=False)
    min_killed = django_filters.NumberFilter(field_name="fatalities", lookup_expr="gte", min_value=0, max_value=INT_MAX)
    min_injured = django_filters.NumberFilter(field_name="injured", lookup_expr="gte", min_value=0, max_value=INT_MAX)
    facility_type = django_filters.MultipleChoiceFilter(choices=FacilityType.choices, distinct=False)
    reporting_organization = django_filters.CharFilter(
        field_name="reporting_organization__slug", max_length=64, help_text=_("Slug of the organization.")
    )
    reporting_organization_id = IdFilter(field_name="reporting_organization_id")

    class Meta:
        model = Incident
        fields = [
            "occurred_after", "occurred_before", "type", "area", "within", "verification_state", "min_killed",
            "min_injured", "facility_type", "reporting_organization", "reporting_organization_id", "updated_since",
        ]  # fmt: skip

    def filter_area(self, queryset, name, value):
        return queryset.filter(area=area_by_code_or_error(value, name))

    def filter_within(self, queryset, name, value):
        area = area_by_code_or_error(value, name)
        if area.level in LOCATED_LEVELS:
            # Each incident keeps its oblast and raion: read by the (oblast, id) or (raion, id)
            # index, in list order, a page costs as many rows as it shows.
            return queryset.filter(**{LOCATED_LEVELS[area.level]: area.pk})
        if area.level in SMALL_SUBTREE_LEVELS:
            # A few areas: read their incidents by the (area, date) index. Walking every
            # incident in the list's order, as below, would scan the whole table for a
            # settlement among 1,000,000 incidents.
            return queryset.filter(area_id__in=Area.objects.filter(path__startswith=area.path).values("id"))
        # The country: a correlated EXISTS rather than a join. The database walks incidents in
        # the list's order and stops after a page, instead of collecting every incident of the
        # subtree and sorting them (measurably faster: docs/BENCHMARKS.md).
        return queryset.filter(InSubtree("area_id", area.path))


class EvacuationOrderFilterSet(UpdatedSinceMixin):
    active = django_filters.BooleanFilter(
        method="filter_active", help_text=_("In force on as_of (default today), or not.")
    )
    as_of = django_filters.DateFilter(method="filter_as_of", help_text=_("Orders in force on this date."))
    within = django_filters.CharFilter(
        method="filter_within", help_text=_("Code of an area: orders targeting it or anything under it.")
    )
    covers = django_filters.CharFilter(
        method="filter_covers", help_text=_("Code of an area: orders that cover it (directly or via an ancestor).")
    )
    kind = django_filters.MultipleChoiceFilter(choices=OrderKind.choices, distinct=False)
    population_group = django_filters.MultipleChoiceFilter(choices=PopulationGroup.choices, distinct=False)
    state = django_filters.MultipleChoiceFilter(choices=OrderState.choices, distinct=False)

    class Meta:
        model = EvacuationOrder
        fields = ["active", "as_of", "within", "covers", "kind", "population_group", "state", "updated_since"]

    def _as_of(self):
        form = self.form
        return form.cleaned_data.get("as_of") or timezone.localdate()

    def filter_active(self, queryset, name, value):
        in_force = order_in_force_q(self._as_of())
        return queryset.filter(in_force if value else ~in_force)

    def filter_as_of(self, queryset, name, value):
        if self.form.cleaned_data.get("active") is not None:
            return queryset  # `active` already applied this date
        return queryset.filter(order_in_force_q(value))

    def filter_within(self, queryset, name, value):
        q = within_q(value, field=name, path_field="area__path")
        return queryset.filter(Exists(OrderTarget.objects.filter(q, order_id=OuterRef("pk"))))

    def filter_covers(self, queryset, name, value):
        area = area_by_code_or_error(value, name)
        ancestors = [code for code in area.path.strip("/").split("/") if code]
        return queryset.filter(
            Exists(
                OrderTarget.objects.filter(order_id=OuterRef("pk")).filter(
                    Q(area=area) | Q(scope="subtree", area__code__in=ancestors)
                )
            )
        )


class PopulationCountFilterSet(UpdatedSinceMixin):
    area = django_filters.CharFilter(method="filter_area", help_text=_("Code of the area itself."))
    within = django_filters.CharFilter(
        method="filter_within", help_text=_("Code of an area: counts anywhere under it.")
    )
    kind = django_filters.MultipleChoiceFilter(choices=CountKind.choices, distinct=False)
    reference_after = django_filters.DateFilter(field_name="reference_date", lookup_expr="gte")
    reference_before = django_filters.DateFilter(field_name="reference_date", lookup_expr="lte")

    class Meta:
        model = PopulationCount
        fields = ["area", "within", "kind", "reference_after", "reference_before", "updated_since"]

    def filter_area(self, queryset, name, value):
        return queryset.filter(area=area_by_code_or_error(value, name))

    def filter_within(self, queryset, name, value):
        return queryset.filter(within_q(value, field=name, path_field="area__path"))


def designation_in_force_q(as_of) -> Q:
    """Designations that hold on `as_of`: started by then and not ended before it (an end date
    is the last day it holds, as the status engine reads it)."""
    return Q(valid_from__lte=as_of) & (Q(valid_until__isnull=True) | Q(valid_until__gte=as_of))


class DesignationFilterSet(UpdatedSinceMixin):
    area = django_filters.CharFilter(method="filter_area", help_text=_("Code of the area itself."))
    within = django_filters.CharFilter(
        method="filter_within", help_text=_("Code of an area: designations of it or of anything under it.")
    )
    kind = django_filters.MultipleChoiceFilter(choices=ControlKind.choices, distinct=False)
    active = django_filters.BooleanFilter(
        method="filter_active", help_text=_("In force on as_of (default today), or not.")
    )
    as_of = django_filters.DateFilter(method="filter_as_of", help_text=_("Designations in force on this date."))

    class Meta:
        model = ControlDesignation
        fields = ["area", "within", "kind", "active", "as_of", "updated_since"]

    def filter_area(self, queryset, name, value):
        return queryset.filter(area=area_by_code_or_error(value, name))

    def filter_within(self, queryset, name, value):
        return queryset.filter(within_q(value, field=name, path_field="area__path"))

    def filter_active(self, queryset, name, value):
        in_force = designation_in_force_q(self.form.cleaned_data.get("as_of") or timezone.localdate())
        return queryset.filter(in_force if value else ~in_force)

    def filter_as_of(self, queryset, name, value):
        if self.form.cleaned_data.get("active") is not None:
            return queryset  # `active` already applied this date
        return queryset.filter(designation_in_force_q(value))


class SourceFilterSet(UpdatedSinceMixin):
    reliability = django_filters.MultipleChoiceFilter(choices=Reliability.choices, distinct=False)
    published_after = django_filters.DateFilter(field_name="published_on", lookup_expr="gte")
    published_before = django_filters.DateFilter(field_name="published_on", lookup_expr="lte")
    published_on_precision = django_filters.ChoiceFilter(choices=DatePrecision.choices)
    q = django_filters.CharFilter(method="filter_q", max_length=200, help_text=_("Words in the title or publisher."))

    class Meta:
        model = Source
        fields = ["slug", "reliability", "published_after", "published_before", "language", "q", "updated_since"]

    def filter_q(self, queryset, name, value):
        return queryset.filter(Q(title__icontains=value) | Q(publisher__icontains=value))


class TombstoneFilterSet(django_filters.FilterSet):
    since = UtcDateTimeFilter(
        field_name="deleted_at", lookup_expr="gte", help_text=_("Only deletions at or after this time.")
    )
    resource = django_filters.ChoiceFilter(choices=[("incident", "incident"), ("designation", "designation")])

    class Meta:
        model = Tombstone
        fields = ["since", "resource"]
