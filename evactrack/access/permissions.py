"""Role checks. Which rows a caller may see is decided by each viewset's queryset (so another
organization's unverified report is a 404, not a 403); this decides what a caller may do."""

from django.utils.translation import gettext_lazy as _
from rest_framework import permissions

from evactrack.access.choices import Role
from evactrack.access.policy import caller_of


class RolePermission(permissions.BasePermission):
    """Reads need any role; each unsafe action needs the role the viewset declares for it.

    A viewset declares `action_roles = {"create": Role.PARTNER, ...}`; an unsafe action it does
    not name needs a coordinator.
    """

    message = _("Your role does not allow this.")

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        caller = caller_of(request)
        if caller.role is None:
            self.message = _("This account has no API role. Ask an administrator for a membership.")
            return False
        action = getattr(view, "action", None)
        action_roles = getattr(view, "action_roles", {})
        if action in action_roles:
            return caller.at_least(action_roles[action])
        if request.method in permissions.SAFE_METHODS:
            return True
        return caller.at_least(Role.COORDINATOR)

    def has_object_permission(self, request, view, obj):
        check = getattr(view, "check_object_role", None)
        return True if check is None else check(caller_of(request), obj)
