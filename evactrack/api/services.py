"""Writes of the API plumbing: memberships and tokens."""

import secrets
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from evactrack.api.choices import IdempotencyState, Role
from evactrack.api.exceptions import Conflict, Unprocessable
from evactrack.api.models import ApiToken, IdempotencyRecord, Membership, token_digest
from reports.models import Organization

TOKEN_PREFIX = "evt_"


@transaction.atomic
def membership_set(*, user, organization: Organization, role: str = Role.VIEWER) -> Membership:
    membership, _created = Membership.objects.get_or_create(
        user=user, defaults={"organization": organization, "role": role}
    )
    membership.organization, membership.role = organization, role
    membership.full_clean()
    membership.save()
    return membership


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

# A request still "in flight" after this long died with its worker; its key may be taken over.
IN_FLIGHT_TIMEOUT = timedelta(minutes=5)


def idempotency_begin(*, client: str, key: str, request_digest: str) -> IdempotencyRecord | None:
    """Claim `key` for this client. Returns None when the caller now owns the key and must run
    the request, or the finished record whose response must be replayed.

    Raises Conflict (409) while another request with the key runs, and Unprocessable (422)
    when the key was used for a different request. Each write commits at once (autocommit),
    so a concurrent request sees the claim.
    """
    now = timezone.now()
    IdempotencyRecord.objects.filter(client=client, key=key, expires_at__lte=now).delete()
    IdempotencyRecord.objects.filter(
        client=client, key=key, state=IdempotencyState.IN_FLIGHT, created_at__lte=now - IN_FLIGHT_TIMEOUT
    ).delete()
    try:
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
    if existing is None or existing.state == IdempotencyState.IN_FLIGHT:
        # None: the other request failed and released the key a moment ago; a retry will own it.
        if existing is not None and existing.request_digest != request_digest:
            raise Unprocessable()
        raise Conflict()
    if existing.request_digest != request_digest:
        raise Unprocessable()
    return existing


def idempotency_finish(*, client: str, key: str, status_code: int, body, location: str = "") -> None:
    IdempotencyRecord.objects.filter(client=client, key=key, state=IdempotencyState.IN_FLIGHT).update(
        state=IdempotencyState.DONE, status_code=status_code, response_body=body, location=location[:500]
    )


def idempotency_release(*, client: str, key: str) -> None:
    """Forget a key whose request failed on our side, so the client's retry runs it again."""
    IdempotencyRecord.objects.filter(client=client, key=key, state=IdempotencyState.IN_FLIGHT).delete()


def idempotency_purge_expired() -> int:
    deleted, _by_model = IdempotencyRecord.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted
