"""Who is calling: role, organization and a client id, worked out once per request."""

from dataclasses import dataclass

from evactrack.api.choices import ROLE_RANK, Role
from evactrack.api.selectors import TokenHolder


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


def caller_of(request) -> Caller:
    cached = getattr(request, "_evactrack_caller", None)
    if cached is not None:
        return cached
    user = request.user
    holder = request.auth if isinstance(request.auth, TokenHolder) else None
    if holder is not None:
        # The token's lookup read the membership in the same query.
        client, role, organization_id = f"token:{holder.token_id}", holder.role, holder.organization_id
    else:
        membership = getattr(user, "api_membership", None) if user.is_authenticated else None
        client = f"user:{user.pk}"
        role, organization_id = (membership.role, membership.organization_id) if membership else (None, None)
    if role is not None:
        caller = Caller(role=role, organization_id=organization_id, client=client)
    elif user.is_authenticated and user.is_superuser:
        # Superusers run the instance; they need no organization to see or fix anything.
        caller = Caller(role=Role.ADMIN, organization_id=None, client=client)
    else:
        caller = Caller(role=None, organization_id=None, client=client)
    request._evactrack_caller = caller
    return caller
