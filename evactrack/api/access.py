"""Who is calling: role, organization and a client id, worked out once per request."""

from dataclasses import dataclass

from evactrack.api.choices import ROLE_RANK, Role


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
    token = request.auth if hasattr(request.auth, "digest") else None
    client = f"token:{token.pk}" if token is not None else f"user:{user.pk}"
    membership = getattr(user, "api_membership", None) if user.is_authenticated else None
    if membership is not None:
        caller = Caller(role=membership.role, organization_id=membership.organization_id, client=client)
    elif user.is_authenticated and user.is_superuser:
        # Superusers run the instance; they need no organization to see or fix anything.
        caller = Caller(role=Role.ADMIN, organization_id=None, client=client)
    else:
        caller = Caller(role=None, organization_id=None, client=client)
    request._evactrack_caller = caller
    return caller
