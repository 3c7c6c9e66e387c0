"""Abuse control: a request budget per client, and one per address for requests without valid
credentials. Throttling is not security: when the cache is down it is off, not the API."""

import logging
import time

from rest_framework import authentication, exceptions
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from evactrack.access.policy import caller_of
from evactrack.kernel.security import client_ip

logger = logging.getLogger(__name__)


class CacheOutage:
    """What this process last learned of the cache the counters live in.

    After a failure the counters leave the cache alone for `retry_after` seconds, so requests
    do not each wait for a connection that is refused or times out; the warning is logged at
    most once every `warn_every` seconds, so an outage does not flood the log.
    """

    retry_after = 5.0
    warn_every = 60.0

    def __init__(self):
        self.clock = time.monotonic
        self.reset()

    def reset(self):
        self.down_until = float("-inf")
        self.warned_at = float("-inf")

    @property
    def is_down(self) -> bool:
        return self.clock() < self.down_until

    def failed(self, error: Exception) -> None:
        now = self.clock()
        self.down_until = now + self.retry_after
        if now - self.warned_at >= self.warn_every:
            self.warned_at = now
            logger.warning("The cache does not answer (%r): throttling is off until it does.", error)


cache_outage = CacheOutage()


class CounterThrottle(SimpleRateThrottle):
    """A counter per identity and fixed window, not DRF's log of timestamps.

    DRF reads the identity's whole log (up to one float per request allowed in the window:
    1,200 at the default rate) from the cache and writes it back on every request, and two
    concurrent requests can each overwrite the other's entry. A counter is one atomic increment
    of a few bytes. The price: an identity may spend one window's budget at its end and the
    next one's at the start of the next, up to twice the rate over a short span, which is
    acceptable for abuse control.
    """

    def get_rate(self):
        # Read at each request, not at import, so a settings change (or a test) takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        identity_key = self.get_cache_key(request, view)
        if identity_key is None:
            return True
        count = self.count(self.window_key(identity_key))
        return count is None or count <= self.num_requests

    def window_key(self, identity_key: str) -> str:
        self.now = self.timer()
        window = int(self.now // self.duration)
        self.window_ends = (window + 1) * self.duration
        return f"{identity_key}:{window}"

    def count(self, key: str) -> int | None:
        """This request counted in its window: the window's count so far, or None while the
        cache is down."""
        if cache_outage.is_down:
            return None
        try:
            try:
                return self.cache.incr(key)
            except ValueError:  # the window's first request
                # add() loses to a concurrent first request, whose counter then takes this one too.
                return 1 if self.cache.add(key, 1, self.duration + 1) else self.cache.incr(key)
        # Cache backends raise their client library's errors (redis-py's ConnectionError,
        # TimeoutError, …), which share no base class but Exception.
        except Exception as error:  # noqa: BLE001 - throttling fails open, with a warning
            cache_outage.failed(error)
            return None

    def wait(self):
        """Seconds until the next window opens (the Retry-After header)."""
        return max(self.window_ends - self.now, 0)


class ClientRateThrottle(CounterThrottle):
    """One budget per client: a token, or a staff member's session (EVACTRACK_API_RATE)."""

    scope = "client"

    def get_cache_key(self, request, view):
        authenticated = request.user and request.user.is_authenticated
        ident = caller_of(request).client if authenticated else client_ip(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class AddressRateThrottle(CounterThrottle):
    """One budget per client address for requests without valid credentials: anonymous ones and
    those whose token is unknown, expired or revoked (EVACTRACK_API_ANON_RATE)."""

    scope = "anonymous"

    def get_cache_key(self, request, view):
        return self.cache_format % {"scope": self.scope, "ident": client_ip(request)}


def count_failed_credentials(request) -> None:
    """Count a request without valid credentials against its address; Throttled (429) once
    the address is over its budget."""
    throttle = AddressRateThrottle()
    if not throttle.allow_request(request, None):
        raise exceptions.Throttled(throttle.wait())


class AnonymousRequestThrottle(authentication.BaseAuthentication):
    """Counts a request that no authenticator recognized against its address's budget.

    Listed last in DEFAULT_AUTHENTICATION_CLASSES because DRF authenticates and checks
    permissions before it runs throttles: a request without credentials, refused with 401 by
    the permission check, would otherwise never meet a throttle. Authenticates nobody.
    """

    def authenticate(self, request):
        count_failed_credentials(request)
        return None

    def authenticate_header(self, request):
        return None
