"""Streaming exports: CSV with an HXL hashtag row, and GeoJSON. Constant memory whatever the
size: rows come from the database in chunks (.iterator()) and leave as they are written."""

from django.http import StreamingHttpResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions

from evactrack.api.renderers import point_feature, stream_csv, stream_geojson

EXPORT_FORMATS = ("csv", "geojson")
ITERATOR_CHUNK = 2000


def export_format(request) -> str:
    value = request.query_params.get("format", "csv")
    if value not in EXPORT_FORMATS:
        raise exceptions.ValidationError({"format": [_("Use csv or geojson.")]})
    return value


def export_response(*, fmt: str, filename: str, columns: list[tuple[str, str]], rows, point=None):
    """`columns` are (name, HXL hashtag); `rows` yields tuples in that order. For GeoJSON,
    `point(row)` gives (latitude, longitude)."""
    if fmt == "csv":
        body = stream_csv(header=[name for name, _tag in columns], hashtags=[tag for _name, tag in columns], rows=rows)
        response = StreamingHttpResponse(body, content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return response
    names = [name for name, _tag in columns]
    features = (
        point_feature(latitude=lat, longitude=lon, properties=dict(zip(names, row, strict=False)))
        for row in rows
        for lat, lon in [point(row)]
    )
    response = StreamingHttpResponse(stream_geojson(features), content_type="application/geo+json")
    response["Content-Disposition"] = f'attachment; filename="{filename}.geojson"'
    return response
