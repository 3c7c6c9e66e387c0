"""Who the admin user is to the rules: their role and organization, and what that withholds."""

from evactrack.api.choices import Role
from reports.selectors import incident_point_withheld

# Roles (docs/DESIGN.md) a staff user may hold through their membership; these cannot edit orders,
# counts or designations, nor review incidents, whatever their model permissions say.
FIELD_ROLES = (Role.VIEWER, Role.PARTNER)


def staff_role(request) -> tuple[str | None, int | None]:
    """(role, organization id) of the admin user: their membership's; a superuser is an admin.

    Staff without a membership are governed by their Django permissions alone.
    """
    user = request.user
    if user.is_superuser:
        return Role.ADMIN, None
    membership = getattr(user, "api_membership", None)
    return (membership.role, membership.organization_id) if membership is not None else (None, None)


def point_hidden(request, incident) -> bool:
    """The exact point of a vulnerable place another organization reported (see reports.selectors)."""
    return incident_point_withheld(
        incident=vars(incident), sees_sensitive=sees_sensitive(request), organization_id=staff_role(request)[1]
    )


def sees_sensitive(request) -> bool:
    """Small child counts identify families: viewers and partners do not get them in exports."""
    role, _organization = staff_role(request)
    return role not in FIELD_ROLES and request.user.has_perm("reports.change_incident")
