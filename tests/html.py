"""Checks on rendered pages shared by the admin and API tests."""

import re

# src=/href= pointing at another host: "https://…", "http://…" or protocol-relative "//…".
OTHER_HOST_LINK = re.compile(r"""(?:src|href)=["']?(?:https?:)?//[^"'\s>]*""")


def links_to_other_hosts(page: str) -> list[str]:
    """Assets a page would fetch from elsewhere; the project serves its own (no CDN). Searching
    for the letters "cdn" instead failed now and then: random tokens in a page spell it."""
    return OTHER_HOST_LINK.findall(page)
