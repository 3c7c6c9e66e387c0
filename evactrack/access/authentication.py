"""Token authentication for partner systems: `Authorization: Bearer <key>` (or `Token <key>`)."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from evactrack.access.models import ApiToken, token_digest
from evactrack.access.selectors import token_holder
from evactrack.access.throttling import count_failed_credentials

# Writing last_used_at on every request would make every read a write; once a minute is enough
# for staff to see which tokens are alive.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """request.user is the token's user; request.auth the TokenHolder, whose role and
    organization were read in the same query (evactrack.access.policy.caller_of uses them)."""

    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in self.keywords:
            return None
        # A bad token counts against its address, and once the address is over that budget
        # its bad tokens get 429. Its valid tokens still go through: partners behind one
        # proxy or carrier NAT must not lose the API to a neighbour's misconfigured client.
        # The price is the lookup each refused request still costs (one indexed read).
        try:
            return self.authenticate_key(header)
        except exceptions.AuthenticationFailed:
            count_failed_credentials(request)
            raise

    def authenticate_key(self, header: list[bytes]):
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give exactly one token after the keyword."))
        try:
            raw_key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        now = timezone.now()
        holder = token_holder(digest=token_digest(raw_key), now=now, used_before=now - LAST_USED_RESOLUTION)
        # One message for unknown, revoked and expired: a client learns nothing about other keys.
        if holder is None:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        if holder.last_used_before:
            ApiToken.objects.filter(pk=holder.token_id).update(last_used_at=now)
        return holder.user, holder

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) with a challenge when credentials are missing.
        return 'Bearer realm="api"'


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "evactrack.access.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "`Authorization: Bearer evt_…`. Tokens are issued by an administrator, expire and "
            "can be revoked; each belongs to one client of one organization.",
        }
