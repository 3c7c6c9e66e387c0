"""Reads of the API plumbing that carry a rule: who holds a usable token."""

import functools
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection

from evactrack.access.models import ApiToken, Membership


@dataclass(frozen=True)
class TokenHolder:
    """What one token lookup learns: the user, and the token's id, the user's role and
    organization (None without a membership) and whether the token's last use is older than
    the `used_before` asked about."""

    user: object
    token_id: int
    role: str | None
    organization_id: int | None
    last_used_before: bool


# What a request reads of the token's user: enough to authenticate, check roles and stand as
# the actor of a change. Any other field loads when first read.
USER_FIELDS = ("id", "is_superuser", "username", "is_staff", "is_active")


@functools.cache
def _token_holder_sql() -> str:
    quote = connection.ops.quote_name
    user, token, membership = (quote(model._meta.db_table) for model in (get_user_model(), ApiToken, Membership))
    columns = ", ".join(f"u.{quote(name)}" for name in USER_FIELDS)
    return (
        f"SELECT {columns}, t.id, m.role, m.organization_id, (t.last_used_at IS NULL OR t.last_used_at < %s) "
        f"FROM {token} t JOIN {user} u ON u.id = t.user_id LEFT JOIN {membership} m ON m.user_id = u.id "
        f"WHERE t.digest = %s AND t.revoked_at IS NULL AND t.expires_at > %s AND u.is_active = %s"
    )


def token_holder(*, digest: str, now, used_before) -> TokenHolder | None:
    """The active user holding an unrevoked, unexpired token with this digest, or None.

    Every API request runs this, so it is one indexed lookup written in SQL, its row read
    without the ORM's machinery: select_related of token, user and membership, or a
    RawQuerySet, spend measurably more Python on the same query (docs/BENCHMARKS.md), a
    noticeable part of a list request. Nothing is cached, so a revoked or expired token, a
    deactivated user or a changed role counts at the very next request.
    """
    adapt = connection.ops.adapt_datetimefield_value
    with connection.cursor() as cursor:
        cursor.execute(_token_holder_sql(), [adapt(used_before), digest, adapt(now), True])
        row = cursor.fetchone()
    if row is None:
        return None
    *user_values, token_id, role, organization_id, last_used_before = row
    # USER_FIELDS are in the model's field order, as from_db takes them.
    user = get_user_model().from_db(connection.alias, USER_FIELDS, user_values)
    return TokenHolder(
        user=user,
        token_id=token_id,
        role=role,
        organization_id=organization_id,
        last_used_before=bool(last_used_before),
    )
