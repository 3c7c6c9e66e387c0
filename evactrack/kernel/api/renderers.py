"""Renderers: orjson for JSON, the browsable API without HTML forms, and streaming exports."""

import csv
import datetime
import io
from decimal import Decimal

import orjson
from django.utils.functional import Promise
from rest_framework import negotiation, renderers

from evactrack.kernel.api.columns import datetime_text


def _default(value):
    if isinstance(value, Promise):  # lazy translations in error messages
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime.datetime):
        return datetime_text(value)
    raise TypeError(f"Cannot serialize {type(value).__name__}")


def dumps(data) -> bytes:
    """JSON of a response. DRF hands times over as datetimes (DATETIME_FORMAT None), so every
    time is written here by `datetime_text`, as hand-built rows and the database write them."""
    return orjson.dumps(data, default=_default, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME)


class FastJSONRenderer(renderers.JSONRenderer):
    """The stdlib encoder dominates list responses in profiles; orjson is several times faster."""

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if data is None:
            return b""
        return dumps(data)


class BrowsableAPIRenderer(renderers.BrowsableAPIRenderer):
    """Staff can browse and POST raw JSON, but no HTML form is built: a form would render a
    <select> of every row of a related table (30,000 settlements)."""

    def get_rendered_html_form(self, data, view, method, request):
        return None

    def get_filter_form(self, data, view, request):
        # django-filter's form would list every organization or area in a <select> as well.
        return None


# --- streaming exports --------------------------------------------------------------------

# Rows per chunk handed to the server: large enough to amortise the generator overhead,
# small enough that memory stays flat whatever the export size.
CHUNK_ROWS = 2000


def stream_csv(*, header: list[str], hashtags: list[str], rows):
    """Yield CSV text in chunks: the column names, the HXL hashtag row, then the rows."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(header)
    writer.writerow(hashtags)
    pending = 0
    for row in rows:
        writer.writerow(row)
        pending += 1
        if pending >= CHUNK_ROWS:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
            pending = 0
    yield buffer.getvalue().encode()


def stream_geojson(features):
    """Yield a FeatureCollection one chunk of features at a time."""
    yield b'{"type":"FeatureCollection","features":['
    first = True
    chunk = []
    for feature in features:
        chunk.append(orjson.dumps(feature, default=_default))
        if len(chunk) >= CHUNK_ROWS:
            yield (b"" if first else b",") + b",".join(chunk)
            first = False
            chunk = []
    if chunk:
        yield (b"" if first else b",") + b",".join(chunk)
    yield b"]}"


def point_feature(*, latitude, longitude, properties: dict) -> dict:
    geometry = (
        None if latitude is None or longitude is None else {"type": "Point", "coordinates": [longitude, latitude]}
    )
    return {"type": "Feature", "geometry": geometry, "properties": properties}


class ExportNegotiation(negotiation.BaseContentNegotiation):
    """Exports choose their format with ?format= and stream it themselves; whatever the client
    Accepts, errors come back in the API's JSON shape."""

    def select_parser(self, request, parsers):
        return parsers[0] if parsers else None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type
