"""Reads of reports that carry a rule: what may be shown to whom."""

from reports.choices import FacilityType

# Places where vulnerable people gather: their exact point is withheld from roles without
# sensitive access unless the viewer's own organization reported it.
VULNERABLE_FACILITIES = {FacilityType.HEALTH, FacilityType.EDUCATION, FacilityType.SHELTER}


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
