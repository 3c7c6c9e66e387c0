from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from evactrack.api.access import caller_of


class ClientRateThrottle(SimpleRateThrottle):
    """One budget per client: a token, or a staff member's session (abuse control only)."""

    scope = "client"

    def get_rate(self):
        # Read at each request, not at import, so a settings change (or a test) takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        ident = caller_of(request).client if request.user and request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}
