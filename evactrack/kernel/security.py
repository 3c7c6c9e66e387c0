"""Who is on the other end of a request, for the login lockout (django-axes)."""

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's address: behind N trusted proxies, the N-th address from the right of
    X-Forwarded-For (each proxy appends the address it saw); otherwise REMOTE_ADDR.

    Addresses further left were written by the client and could be forged.
    """
    proxies = settings.EVACTRACK_TRUSTED_PROXY_COUNT
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if part.strip()]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR")
