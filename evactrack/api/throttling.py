from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from evactrack.api.access import caller_of


class ClientRateThrottle(SimpleRateThrottle):
    """One budget per client: a token, or a staff member's session (abuse control only).

    A counter per client and fixed window, not DRF's log of timestamps. DRF reads the client's
    whole log (up to one float per request allowed in the window: 1,200 at the default rate)
    from the cache and writes it back on every request, and two concurrent requests can each
    overwrite the other's entry. A counter is one atomic increment of a few bytes. The price: a
    client may spend one window's budget at its end and the next one's at the start of the
    next, up to twice the rate over a short span, which is acceptable for abuse control.
    """

    scope = "client"

    def get_rate(self):
        # Read at each request, not at import, so a settings change (or a test) takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view):
        ident = caller_of(request).client if request.user and request.user.is_authenticated else self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        client_key = self.get_cache_key(request, view)
        if client_key is None:
            return True
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        key = f"{client_key}:{window}"
        try:
            count = self.cache.incr(key)
        except ValueError:  # the window's first request
            # add() loses to a concurrent first request, whose counter then takes this one too.
            count = 1 if self.cache.add(key, 1, self.duration + 1) else self.cache.incr(key)
        return count <= self.num_requests

    def wait(self):
        """Seconds until the next window opens (the Retry-After header)."""
        return max(self.window_ends - self.now, 0)
