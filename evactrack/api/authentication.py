"""Token authentication for partner systems: `Authorization: Bearer <key>` (or `Token <key>`)."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from evactrack.api.models import ApiToken, token_digest

# Writing last_used_at on every request would make every read a write; once a minute is enough
# for staff to see which tokens are alive.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class ApiTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("bearer", "token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower().decode(errors="replace") not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Give exactly one token after the keyword."))
        try:
            raw_key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("Invalid token.")) from None
        token = (
            ApiToken.objects.select_related("user__api_membership__organization")
            .filter(digest=token_digest(raw_key))
            .first()
        )
        now = timezone.now()
        # One message for unknown, revoked and expired: a client learns nothing about other keys.
        if token is None or not token.is_usable(now) or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("Invalid, expired or revoked token."))
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_RESOLUTION:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) with a challenge when credentials are missing.
        return 'Bearer realm="api"'
