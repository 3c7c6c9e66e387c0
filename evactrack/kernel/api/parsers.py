"""The API reads JSON only, with orjson, and only as deep as a resource is.

The stdlib decoder behind DRF's JSONParser recursed once per level and raised RecursionError
(a 500) on a body nested 1,000 levels deep; orjson stops at 1,024 levels, which still lets a
body through deeper than any code after the parser should have to walk.
"""

import orjson
from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

# The deepest resource is a bulk list of incidents with their citations (4 levels); the rest
# is room for what a partner's client might wrap around or inside a value.
MAX_DEPTH = 32


def deeper_than(data, limit: int) -> bool:
    """Whether lists and objects nest more than `limit` levels, looked at one level at a time
    (no recursion, so no depth can exhaust the stack)."""
    level, depth = [data], 0
    while level:
        containers = [value for value in level if isinstance(value, dict | list)]
        if not containers:
            return False
        depth += 1
        if depth > limit:
            return True
        level = [
            item
            for container in containers
            for item in (container.values() if isinstance(container, dict) else container)
        ]
    return False


class JSONParser(parsers.JSONParser):
    """orjson also refuses what the database could not store or compare: invalid UTF-8, lone
    surrogates (`"\\ud800"`), NaN and infinities."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            raw = stream.read()
            if encoding.lower().replace("-", "") != "utf8":
                raw = raw.decode(encoding)
            data = orjson.loads(raw)
        except (orjson.JSONDecodeError, UnicodeDecodeError, LookupError) as error:
            raise ParseError(_("JSON parse error: %(error)s") % {"error": error}) from None
        if deeper_than(data, MAX_DEPTH):
            raise ParseError(_("JSON nested deeper than %(depth)d levels.") % {"depth": MAX_DEPTH})
        return data
