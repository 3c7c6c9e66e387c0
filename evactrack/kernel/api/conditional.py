"""ETags and If-Match: a partner never silently overwrites a change it has not seen."""

import hashlib

from evactrack.kernel.api.exceptions import PreconditionFailed, PreconditionRequired


def etag_of(instance) -> str:
    """A strong ETag from the object's identity and last write. Every service write moves
    `updated_at`, so any change gives a new ETag."""
    version = f"{instance.pk}:{instance.updated_at.isoformat()}"
    return '"' + hashlib.sha256(version.encode()).hexdigest()[:32] + '"'


def _tags(header: str) -> set[str]:
    return {tag.strip().removeprefix("W/") for tag in header.split(",") if tag.strip()}


def check_if_match(request, instance, *, required: bool) -> None:
    header = request.headers.get("If-Match")
    if not header:
        if required:
            raise PreconditionRequired()
        return
    tags = _tags(header)
    if "*" not in tags and etag_of(instance) not in tags:
        raise PreconditionFailed()


def not_modified(request, instance) -> bool:
    header = request.headers.get("If-None-Match")
    return bool(header) and etag_of(instance) in _tags(header)
