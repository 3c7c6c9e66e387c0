"""The admin site NGO staff work in: our name on it, and a dashboard of area statuses and job health.

The dashboard reads the status engine's tables; it lives here, in the project package (like
the URL root), so that neither reports nor locations ever import the engine.
"""

from django.contrib import admin
from django.contrib.admin.views.autocomplete import AutocompleteJsonView
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.db.models import Count, Max, Min
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from locations.choices import AreaLevel
from locations.models import Area
from locations.selectors import ancestors_by_path

# The country whose settlements the dashboard's headline spreads over the levels.
HOME_COUNTRY = "UA"

# Points drawn on the map: the areas whose status is not normal, worst first. Beyond this the
# map would be unreadable and the page heavy; the counts above it cover everything.
MAP_POINTS_MAX = 5000
LEVEL_COLOURS = {
    "normal": "#2e7d32",
    "advisory": "#f9a825",
    "evacuation_recommended": "#ef6c00",
    "evacuation_mandatory": "#c62828",
    "no_access": "#4a148c",
}


class AreaAwareAutocompleteJsonView(AutocompleteJsonView):
    """Names repeat (21 Petropavlivka, eleven Шевченкове in one oblast): an area's choice names its
    kind, hromada, raion and oblast, in the interface's language, and its code, so staff pick the
    right one without opening it."""

    def get_context_data(self, *, object_list=None, **kwargs):
        context = super().get_context_data(object_list=object_list, **kwargs)
        # One query for the ancestors of the whole page of choices.
        areas = [obj for obj in context["object_list"] if isinstance(obj, Area)]
        self.ancestors = ancestors_by_path(area.path for area in areas) if areas else {}
        return context

    def serialize_result(self, obj, to_field_name):
        result = super().serialize_result(obj, to_field_name)
        if isinstance(obj, Area):
            ukrainian = get_language() == "uk"
            name, other = (obj.name_uk, obj.name_en) if ukrainian else (obj.name_en, obj.name_uk)
            key = "name_uk" if ukrainian else "name_en"
            chain = [ancestor[key] for ancestor in reversed(getattr(self, "ancestors", {}).get(obj.path, []))]
            where = " · ".join([str(obj.get_category_display()), *chain])
            both = f"{name} ({other})" if other and other != name else name
            result["text"] = f"{both} — {where} · {obj.code}"
        return result


class EvactrackAdminSite(admin.AdminSite):
    site_header = _("evactrack")
    site_title = _("evactrack")
    index_title = _("Evacuation tracking")
    # Nothing public to view: the API's home is /api/docs/, the admin is the site.
    site_url = None

    def get_urls(self):
        return [
            path("dashboard/", self.admin_view(self.dashboard_view), name="evactrack_dashboard"),
            *super().get_urls(),
        ]

    def login(self, request, extra_context=None):
        # Staff come to work on the statuses: without a page asked for, log in to the dashboard.
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            request.GET = request.GET.copy()
            request.GET[REDIRECT_FIELD_NAME] = reverse("admin:evactrack_dashboard", current_app=self.name)
        return super().login(request, extra_context)

    def autocomplete_view(self, request):
        return AreaAwareAutocompleteJsonView.as_view(admin_site=self)(request)

    def dashboard_view(self, request):
        context = {
            **self.each_context(request),
            "title": _("Dashboard"),
            **dashboard_data(),
        }
        return TemplateResponse(request, "admin/evactrack/dashboard.html", context)


def _settlement_spread(country) -> dict:
    """The country's settlements per level (with their people) and the same spread per oblast:
    what the headline says instead of a worst-of count (two villages make an oblast "mandatory")."""
    from evactrack.status.choices import StatusLevel
    from evactrack.status.selectors import distribution_by_child, stored_distribution

    if country is None:
        return {"settlement_levels": [], "settlement_columns": [], "oblast_rows": []}
    spread = stored_distribution(country)
    settlement_levels = [
        {"value": value, "label": label, "colour": LEVEL_COLOURS[value], **spread[value]}
        for value, label in reversed(StatusLevel.choices)
    ]
    children = Area.objects.filter(parent=country).values_list("code", "id", "name_en")
    oblasts = {code: (pk, name) for code, pk, name in children}
    oblast_rows = []
    for code, oblast_spread in distribution_by_child(country).items():
        total = sum(entry["settlements"] for entry in oblast_spread.values())
        oblast_rows.append(
            {
                "code": code,
                "id": oblasts[code][0],
                "name": oblasts[code][1],
                "settlements": total,
                # Worst level first, as the headline: no access, mandatory, recommended, advisory.
                "cells": [oblast_spread[value] for value, _label in reversed(StatusLevel.choices[1:])],
            }
        )
    # The oblasts with the most settlements at the worst levels first.
    oblast_rows.sort(key=lambda row: ([-cell["settlements"] for cell in row["cells"]], row["name"]))
    return {
        "settlement_levels": settlement_levels,
        "settlement_columns": list(reversed(StatusLevel.choices[1:])),
        "oblast_rows": oblast_rows,
    }


def dashboard_data() -> dict:
    """Counts per status level, the map's points, the latest changes and the jobs' health."""
    from evactrack.status.choices import LEVEL_RANK, StatusLevel, who_must_leave_label
    from evactrack.status.models import AreaStatus, RecomputeRun, StatusChange
    from evactrack.status.selectors import LEAF_LEVELS, level_changes
    from reports.choices import VerificationState
    from reports.models import DirtyArea, Incident

    by_level = dict(
        AreaStatus.objects.exclude(level=StatusLevel.NORMAL)
        .values_list("level")
        .annotate(n=Count("area_id"))
        .order_by()
    )
    # The engine stores a row only for an area it had reason to judge: every other area is normal.
    by_level[StatusLevel.NORMAL] = Area.objects.count() - sum(by_level.values())
    levels = [
        {"value": value, "label": label, "count": by_level.get(value, 0), "colour": LEVEL_COLOURS[value]}
        for value, label in StatusLevel.choices
    ]
    by_area_level = (
        AreaStatus.objects.exclude(level=StatusLevel.NORMAL)
        .values("area__level", "level")
        .annotate(n=Count("area_id"))
        .order_by()
    )
    table: dict[str, dict[str, int]] = {}
    for row in by_area_level:
        table.setdefault(row["area__level"], {})[row["level"]] = row["n"]
    # Settlements and city districts only: a raion's or an oblast's dot would paint its worst
    # village's level over the whole area; the tables below give their spread instead.
    statuses = (
        AreaStatus.objects.exclude(level=StatusLevel.NORMAL)
        .filter(area__latitude__isnull=False, area__level__in=LEAF_LEVELS)
        .values_list(
            "area__code",
            "area__name_en",
            "area__latitude",
            "area__longitude",
            "level",
            "level_for_everyone",
            "group_levels",
        )
    )
    points = sorted(statuses[: MAP_POINTS_MAX * 2], key=lambda row: -LEVEL_RANK[row[4]])[:MAP_POINTS_MAX]
    dirty = DirtyArea.objects.aggregate(waiting=Count("area_id"), oldest=Min("marked_at"))
    # Full recomputes and rebuilds are recorded as runs; the incremental ones after each write
    # are not (the engine keeps that table small), so the newest computed status dates those.
    last_run = RecomputeRun.objects.filter(skipped=False).order_by("-started_at").first()
    last_computed = AreaStatus.objects.aggregate(at=Max("computed_at"))["at"]
    country = Area.objects.filter(level=AreaLevel.COUNTRY, code=HOME_COUNTRY).first()
    return {
        **_settlement_spread(country),
        "levels": levels,
        "area_levels": [
            {"level": area_level, "counts": [counts.get(value, 0) for value, _label in StatusLevel.choices[1:]]}
            for area_level, counts in sorted(table.items())
        ],
        "status_columns": StatusLevel.choices[1:],
        "map_points": [
            {
                "code": code,
                "name": name,
                "lat": lat,
                "lon": lon,
                "level": level,
                # Who must leave, in the staff member's language: the tooltip's words.
                "who": who_must_leave_label(level, everyone, groups),
                "colour": LEVEL_COLOURS[level],
                # Ringed in the worst level, filled with everyone's: a group-only order stands out.
                "fill": LEVEL_COLOURS[everyone],
            }
            for code, name, lat, lon, level, everyone, groups in points
        ],
        "latest_changes": level_changes(StatusChange.objects.select_related("area")).order_by("-recorded_at", "-id")[
            :15
        ],
        "last_run": last_run,
        "last_computed": last_computed,
        "dirty_waiting": dirty["waiting"],
        "dirty_oldest": dirty["oldest"],
        # Capped: the queue's size matters up to "a lot", not to the last row.
        # Unordered, so the count reads the state index rather than walking incidents by date.
        "queue_count": Incident.objects.filter(verification_state=VerificationState.REPORTED).order_by()[:1000].count(),
    }
