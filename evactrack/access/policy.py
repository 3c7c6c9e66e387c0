"""The access policy: who is calling (role, organization, client) and what that lets them see.

The one home of these rules for the API, the exports, the status figures and the admin.
"""

from dataclasses import dataclass

from django.conf import settings

from evactrack.access.choices import ROLE_RANK, Role
from evactrack.access.selectors import TokenHolder


@dataclass(frozen=True)
class Caller:
    role: str | None
    organization_id: int | None
    # Scopes idempotency keys and throttling: one per token, or one per session user.
    client: str

    def at_least(self, role: str) -> bool:
        return self.role is not None and ROLE_RANK[self.role] >= ROLE_RANK[role]

    @property
    def sees_everything(self) -> bool:
        """Coordinators and admins read unverified reports of every organization."""
        return self.at_least(Role.COORDINATOR)

    @property
    def sees_sensitive(self) -> bool:
        """Small child counts and exact points of vulnerable places."""
        return self.at_least(Role.COORDINATOR)

    def withholds_child_count(self, value: int | None) -> bool:
        """Whether this child count is withheld from this caller: a small one identifies
        families (below EVACTRACK_SMALL_CHILD_COUNT), and only sensitive access shows it."""
        return child_count_is_small(value) and not self.sees_sensitive


def child_count_is_small(value: int | None) -> bool:
    return value is not None and value < settings.EVACTRACK_SMALL_CHILD_COUNT


def caller_of(request) -> Caller:
    cached = getattr(request, "_evactrack_caller", None)
    if cached is not None:
        return cached
    user = request.user
    holder = request.auth if isinstance(request.auth, TokenHolder) else None
    if holder is not None:
        # The token's lookup read the membership in the same query.
        client, role, organization_id = f"token:{holder.token_id}", holder.role, holder.organization_id
        if role is None and user.is_superuser:
            role = Role.ADMIN  # as caller_of_user says
        caller = Caller(role=role, organization_id=organization_id, client=client)
    else:
        caller = caller_of_user(user)
    request._evactrack_caller = caller
    return caller


def caller_of_user(user) -> Caller:
    """A signed-in user (the admin, the API's session clients): their membership's role and
    organization; a superuser without one is an admin; anyone else has no role."""
    client = f"user:{user.pk}"
    membership = getattr(user, "api_membership", None) if user.is_authenticated else None
    if membership is not None:
        return Caller(role=membership.role, organization_id=membership.organization_id, client=client)
    if user.is_authenticated and user.is_superuser:
        # Superusers run the instance; they need no organization to see or fix anything.
        return Caller(role=Role.ADMIN, organization_id=None, client=client)
    return Caller(role=None, organization_id=None, client=client)
