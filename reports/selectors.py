"""Reads of reports that carry a rule: what may be shown to whom, what an order covers."""

from django.db.models import Q

from locations.choices import AreaLevel
from locations.models import Area
from reports.choices import Audience, CountKind, FacilityType, OrderState, TargetScope, VerificationState
from reports.models import OrderTarget, PopulationCount

# Places where vulnerable people gather: their exact point is withheld from roles without
# sensitive access unless the viewer's own organization reported it.
VULNERABLE_FACILITIES = {FacilityType.HEALTH, FacilityType.EDUCATION, FacilityType.SHELTER}


def incidents_visible(queryset, caller):
    """The incidents of `queryset` a caller may read: all of them with the access policy's
    `sees_everything` (coordinators and up); else the verified ones and those their own
    organization reported. The API and the admin both read through this."""
    if caller.sees_everything:
        return queryset
    visible = Q(verification_state=VerificationState.VERIFIED)
    if caller.organization_id is not None:
        visible |= Q(reporting_organization_id=caller.organization_id)
    return queryset.filter(visible)


def incident_audience(incident) -> tuple[str, int | None]:
    """Who may read this incident, as (audience, organization): incidents_visible's rule
    stated of one incident instead of a caller. Verified: everyone; else coordinators and the
    reporting organization. The change feed records it before and after every write."""
    if incident.verification_state == VerificationState.VERIFIED:
        return Audience.EVERYONE, None
    return Audience.RESTRICTED, incident.reporting_organization_id


def order_audience(order) -> tuple[str, int | None]:
    """Drafts: coordinators only; every other order: everyone (as the orders endpoint lists them)."""
    return (Audience.RESTRICTED, None) if order.state == OrderState.DRAFT else (Audience.EVERYONE, None)


NOBODY = (Audience.NOBODY, None)
EVERYONE = (Audience.EVERYONE, None)


def changes_visible(queryset, caller):
    """The change entries of `queryset` that may be named to this caller: those of an object
    the caller could read before or after the change (the audiences incident_audience and
    order_audience gave). Coordinators read every object, so every entry."""
    if caller.sees_everything:
        return queryset
    visible = Q(before=Audience.EVERYONE) | Q(after=Audience.EVERYONE)
    if caller.organization_id is not None:
        visible |= Q(before_organization_id=caller.organization_id) | Q(after_organization_id=caller.organization_id)
    return queryset.filter(visible)


def incident_point_withheld(*, incident: dict, sees_sensitive: bool, organization_id: int | None) -> bool:
    """Whether a viewer must not see the incident's exact point.

    `incident`: a dict (or row) with facility_type, latitude and reporting_organization_id.
    """
    return (
        not sees_sensitive
        and incident["facility_type"] in VULNERABLE_FACILITIES
        and incident["latitude"] is not None
        and incident["reporting_organization_id"] != organization_id
    )


def order_coverage(targets: list[tuple[int, str]]) -> dict:
    """Settlements, people and children an order on these targets covers.

    People and children are the latest 'present' count of each settlement, else its latest
    baseline; settlements without either are counted as missing, never as zero.
    """
    areas = {area.pk: area for area in Area.objects.filter(pk__in=[area_id for area_id, _scope in targets])}
    condition = Q(pk__in=[])
    for area_id, scope in targets:
        area = areas.get(area_id)
        if area is None:
            continue
        condition |= Q(path__startswith=area.path) if scope == TargetScope.SUBTREE else Q(pk=area.pk)
    settlements = Area.objects.filter(condition, level=AreaLevel.SETTLEMENT)
    latest: dict[int, tuple] = {}
    counts = (
        PopulationCount.objects.filter(area__in=settlements, kind__in=[CountKind.PRESENT, CountKind.BASELINE])
        .order_by("area_id", "-reference_date", "-id")
        .values_list("area_id", "kind", "total", "children")
    )
    for area_id, kind, total, children in counts:
        held = latest.get(area_id)
        # A present (remaining) count beats any baseline; within a kind the newest wins.
        if held is None or (held[0] == CountKind.BASELINE and kind == CountKind.PRESENT):
            latest[area_id] = (kind, total, children)
    settlement_count = settlements.count()
    people = [figures[1] for figures in latest.values() if figures[1] is not None]
    children = [figures[2] for figures in latest.values() if figures[2] is not None]
    return {
        "targets": [str(areas[area_id]) for area_id, _scope in targets if area_id in areas],
        "settlements": settlement_count,
        "people": sum(people) if people else None,
        "people_missing": settlement_count - len(people),
        "children": sum(children) if children else None,
        "children_missing": settlement_count - len(children),
    }


def orders_covering(area, *, limit=50):
    """Targets of orders that cover the area: on the area itself, or on an ancestor's whole subtree."""
    ancestors = Area.objects.ancestors_of(area)
    return (
        OrderTarget.objects.filter(Q(area=area) | Q(area__in=ancestors, scope=TargetScope.SUBTREE))
        .select_related("order", "area")
        .prefetch_related("order__citations__source")
        .order_by("-order__effective_from", "-order_id")[:limit]
    )


def orders_inside(area, *, limit=50):
    """Targets of orders on areas below this one (a raion's page lists its settlements' orders)."""
    return (
        OrderTarget.objects.filter(area__path__startswith=area.path)
        .exclude(area=area)
        .select_related("order", "area")
        .prefetch_related("order__citations__source")
        .order_by("-order__effective_from", "-order_id")[:limit]
    )
