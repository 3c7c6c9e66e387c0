"""The floor of the partner API benchmark: the least any framework could do for the rows of
/api/v1/areas/?level=settlement&limit=100 — one .values() query, orjson, no auth, no
serializer. The API's requests/s are reported as a share of it.
"""

import orjson
from django.db.models import F
from django.http import HttpResponse

from locations.api.serializers import parent_code
from locations.models import Area

FLOOR_FIELDS = ("code", "pcode", "level", "category", "path", "name_uk", "name_en", "latitude", "longitude")


def floor_view(request):
    rows = list(
        Area.objects.filter(level="settlement")
        .annotate(status_level=F("status__level"))
        .order_by("code")
        .values(*FLOOR_FIELDS, "status_level", "updated_at")[:100]
    )
    for row in rows:
        row["parent"] = parent_code(row.pop("path"))
        row["status"] = row.pop("status_level") or "normal"
    return HttpResponse(
        orjson.dumps({"next": None, "previous": None, "results": rows}), content_type="application/json"
    )
