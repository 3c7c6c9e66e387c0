"""Who the admin user is to the rules: their role and organization, and what that withholds."""

from evactrack.access.choices import Role
from evactrack.access.policy import caller_of_user
from reports.selectors import incident_point_withheld

# Roles (docs/DESIGN.md) a staff user may hold through their membership; these cannot edit orders,
# counts or designations, nor review incidents, whatever their model permissions say.
FIELD_ROLES = (Role.VIEWER, Role.PARTNER)


def staff_role(request) -> tuple[str | None, int | None]:
    """(role, organization id) of the admin user, by the access policy (evactrack.access.policy).

    Staff without a membership are governed by their Django permissions alone.
    """
    caller = caller_of_user(request.user)
    return caller.role, caller.organization_id


def point_hidden(request, incident) -> bool:
    """The exact point of a vulnerable place another organization reported (see reports.selectors)."""
    return incident_point_withheld(
        incident=vars(incident), sees_sensitive=sees_sensitive(request), organization_id=staff_role(request)[1]
    )


def sees_sensitive(request) -> bool:
    """Small child counts and exact points of vulnerable places: as the access policy says for
    the user's role; staff without a membership see them where they may change incidents."""
    caller = caller_of_user(request.user)
    if caller.role is not None:
        return caller.sees_sensitive
    return request.user.has_perm("reports.change_incident")
