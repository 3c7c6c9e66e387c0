"""Writes of organizations and access: organizations, memberships and their groups, tokens, idempotency records."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.utils import timezone

from evactrack.access.choices import IdempotencyState, Role
from evactrack.access.models import ApiToken, IdempotencyRecord, Membership, Organization, token_digest
from evactrack.access.roles import GROUP_NAMES, role_permissions
from evactrack.kernel.api.exceptions import Conflict, Unprocessable
from evactrack.kernel.db import reject_nul_characters, reject_nul_values

TOKEN_PREFIX = "evt_"


def organization_upsert(*, slug: str, name: str, kind: str) -> tuple[Organization, bool]:
    """Create the organization with this slug or update its name and kind. Returns (it, created)."""
    reject_nul_values({"slug": slug})
    organization = Organization.objects.filter(slug=slug).first()
    created = organization is None
    if created:
        organization = Organization(slug=slug)
    elif (organization.name, organization.kind) == (name, kind):
        return organization, False
    organization.name, organization.kind = name, kind
    reject_nul_characters(organization)
    organization.full_clean()
    organization.save()
    return organization, created


@transaction.atomic
def membership_set(*, user, organization: Organization, role: str = Role.VIEWER) -> Membership:
    """Give the user this organization and role, and the admin group of that role only."""
    membership, _created = Membership.objects.get_or_create(
        user=user, defaults={"organization": organization, "role": role}
    )
    membership.organization, membership.role = organization, role
    membership.full_clean()
    membership.save()
    role_groups = Group.objects.filter(name__in=GROUP_NAMES.values())
    user.groups.remove(*role_groups.exclude(name=GROUP_NAMES.get(role)))
    # An admin's membership needs no group: administrators are superusers.
    if role in GROUP_NAMES:
        if not role_groups.filter(name=GROUP_NAMES[role]).exists():
            role_groups_install()  # a database set up without migrate's signal
        user.groups.add(role_groups.get(name=GROUP_NAMES[role]))
    return membership


@transaction.atomic
def membership_remove(*, user) -> None:
    """The user leaves its organization, and with it the role's group."""
    Membership.objects.filter(user=user).delete()
    user.groups.remove(*Group.objects.filter(name__in=GROUP_NAMES.values()))


@transaction.atomic
def role_groups_install(**kwargs) -> None:
    """Make the Viewer, Partner and Coordinator groups hold exactly their role's permissions
    (evactrack.access.roles). Runs after every migrate; idempotent."""
    permissions = {
        (app, codename): pk
        for pk, app, codename in Permission.objects.values_list("pk", "content_type__app_label", "codename")
    }
    for role, name in GROUP_NAMES.items():
        group, _created = Group.objects.get_or_create(name=name)
        wanted = role_permissions(role)
        missing = wanted - permissions.keys()
        if missing:
            raise ImproperlyConfigured(f"The {name} group names permissions that do not exist: {sorted(missing)}")
        group.permissions.set([permissions[key] for key in wanted])


@transaction.atomic
def token_issue(*, user, name: str, expires_at=None) -> tuple[ApiToken, str]:
    """Create a token and return it with its raw key. The raw key is shown once and never stored."""
    raw_key = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        prefix=raw_key[:12],
        digest=token_digest(raw_key),
        expires_at=expires_at or timezone.now() + timedelta(days=settings.EVACTRACK_TOKEN_DEFAULT_DAYS),
    )
    token.full_clean()
    token.save()
    return token, raw_key


@transaction.atomic
def token_revoke(*, token: ApiToken) -> ApiToken:
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
    return token


# --- idempotency keys ------------------------------------------------------------------------


def idempotency_claim(*, client: str, key: str, request_digest: str) -> IdempotencyRecord | None:
    """Claim `key` for this client in the caller's transaction. Returns None when the caller
    now owns the key and must run the request, or the finished record whose response must be
    replayed.

    The claim is a row that commits with the request's writes and idempotency_finish, in the
    one transaction the caller holds open, or not at all. A concurrent request with the key
    waits on that row's unique index until the owner commits (then replays) or rolls back
    (then runs). Raises Conflict (409) when the key's request is still running on this very
    connection, and Unprocessable (422) when the key was used for a different request.
    """
    if not transaction.get_connection().in_atomic_block:
        raise transaction.TransactionManagementError("idempotency_claim must run inside the request's transaction.")
    now = timezone.now()
    IdempotencyRecord.objects.filter(client=client, key=key, expires_at__lte=now).delete()
    try:
        # A savepoint, so a taken key leaves the caller's transaction usable.
        with transaction.atomic():
            IdempotencyRecord.objects.create(
                client=client,
                key=key,
                request_digest=request_digest,
                state=IdempotencyState.IN_FLIGHT,
                expires_at=now + timedelta(hours=settings.EVACTRACK_IDEMPOTENCY_TTL_HOURS),
            )
        return None
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(client=client, key=key).first()
    if existing is None:
        # The record expired and was purged between the insert and this read.
        raise Conflict()
    if existing.request_digest != request_digest:
        raise Unprocessable()
    if existing.state == IdempotencyState.IN_FLIGHT:
        raise Conflict()
    return existing


def idempotency_finish(*, client: str, key: str, status_code: int, body, location: str = "") -> None:
    """Store the response of the claimed key's request, in the transaction of its claim."""
    IdempotencyRecord.objects.filter(client=client, key=key, state=IdempotencyState.IN_FLIGHT).update(
        state=IdempotencyState.DONE, status_code=status_code, response_body=body, location=location[:500]
    )


def idempotency_purge_expired() -> int:
    deleted, _by_model = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
