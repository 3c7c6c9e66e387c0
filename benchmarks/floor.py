"""The floors of the partner API benchmark: the least any framework could do for the rows of
/api/v1/areas/?level=settlement&limit=100, and for a page of 1,000 incident entries of
/api/v1/changes/ — .values() queries, orjson, no auth, no serializer, no visibility rule. The
API's requests/s are reported as a share of them.
"""

import orjson
from django.db.models import F
from django.http import HttpResponse

from locations.api.serializers import parent_code
from locations.models import Area
from reports.choices import ChangeType
from reports.models import Change, Incident

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


# The incident's own columns: what a feed entry's data holds, less its citations and links.
CHANGE_FLOOR_INCIDENT_FIELDS = (
    "uid", "incident_type", "kind", "occurred_on", "occurred_on_precision", "occurred_until", "area__code",
    "latitude", "longitude", "geo_precision", "fatalities", "fatalities_qualifier", "injured", "injured_qualifier",
    "verification_state", "summary", "created_at", "updated_at",
)  # fmt: skip


def changes_floor_view(request):
    after = int(request.GET.get("after", 0))
    entries = list(
        Change.objects.filter(seq__gt=after, type=ChangeType.INCIDENT)
        .order_by("seq")
        .values("seq", "type", "uid", "at")[:1000]
    )
    incidents = {
        str(row["uid"]): row
        for row in Incident.objects.filter(uid__in=[entry["uid"] for entry in entries]).values(
            *CHANGE_FLOOR_INCIDENT_FIELDS
        )
    }
    results = [{**entry, "action": "upsert", "data": incidents.get(entry["uid"])} for entry in entries]
    body = {"results": results, "next_after": results[-1]["seq"] if results else after}
    return HttpResponse(orjson.dumps(body), content_type="application/json")
