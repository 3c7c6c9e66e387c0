"""Areas over the API, addressed by code. Read-only: the gazetteer import writes the tree.

These views live with the status engine, not in locations/api/, because they read the status
and reports: locations imports no other app, and no app below the engine imports it.
"""

import datetime

import django_filters
from django.db.models import Count, F, Q, Sum
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from evactrack.access.choices import Role
from evactrack.access.policy import caller_of
from evactrack.access.viewsets import ExportMixin, ReadOnlyViewSet
from evactrack.kernel.api.exceptions import flatten_errors
from evactrack.kernel.api.exports import Column
from evactrack.kernel.api.filters import UtcDateTimeFilter
from evactrack.kernel.api.pagination import CursorPagination, matching_rows
from evactrack.kernel.api.schema import ErrorSerializer
from evactrack.kernel.db import RowsInvalid
from evactrack.status.choices import LEVEL_RANK, WITHHELD_CHILDREN, ChildrenWithheld, StatusLevel
from evactrack.status.engine import QUALIFIER_FIELDS
from evactrack.status.selectors import status_for_area, status_history, status_summary, statuses_now
from locations import filtersets as area_filters
from locations.api.exports import admin_columns
from locations.api.serializers import (
    AREA_LIST_FIELDS,
    RESOLVE_BATCH_MAX,
    AreaSerializer,
    AreaStatusSerializer,
    ResolutionSerializer,
    ResolutionsSerializer,
    ResolveQuerySerializer,
    StatusChangeSerializer,
    StatusSummarySerializer,
    area_data,
    iso,
    parent_code,
    resolutions_data,
)
from locations.choices import AreaLevel
from locations.filtersets import AreaFilterSet
from locations.models import Area
from reports.api.views import change_data_register
from reports.choices import ChangeType
from reports.filtersets import area_has_active_order


class AreaApiFilterSet(AreaFilterSet):
    """The tree filters plus those that read other apps (the API may; locations may not)."""

    has_active_order = django_filters.BooleanFilter(
        method="filter_has_active_order", help_text=_("Covered (or not) by an evacuation order in force today.")
    )
    status = django_filters.MultipleChoiceFilter(
        choices=StatusLevel.choices, method="filter_status", help_text=_("Current status level(s).")
    )
    status_min = django_filters.ChoiceFilter(
        choices=StatusLevel.choices, method="filter_status_min", help_text=_("Current status at least this level.")
    )

    # The stored status row is rewritten only when the status (level, reasons, figures) changes,
    # and computed_at with it: the time a partner's mirror of the statuses last had to move.
    status_changed_since = UtcDateTimeFilter(
        field_name="status__computed_at",
        lookup_expr="gte",
        help_text=_("Areas whose status (level, reasons or figures) changed at or after this time."),
    )

    class Meta(AreaFilterSet.Meta):
        fields = [*AreaFilterSet.Meta.fields, "has_active_order", "status", "status_min", "status_changed_since"]

    def filter_has_active_order(self, queryset, name, value):
        covered = area_has_active_order()
        return queryset.filter(covered if value else ~covered)

    def filter_status(self, queryset, name, value):
        return queryset.filter(status_level_q(value))

    def filter_status_min(self, queryset, name, value):
        return queryset.filter(
            status_level_q([level for level in StatusLevel.values if LEVEL_RANK[level] >= LEVEL_RANK[value]])
        )


def status_level_q(levels) -> Q:
    # An area without a stored status is normal: nothing ever applied to it.
    q = Q(status__level__in=levels)
    return q | Q(status__isnull=True) if StatusLevel.NORMAL in levels else q


def with_status_level(areas):
    """The current status levels with each area, in the same query (LEFT JOIN)."""
    return areas.annotate(
        status_level=F("status__level"),
        status_for_everyone=F("status__level_for_everyone"),
        status_group_levels=F("status__group_levels"),
    )


AREA_EXPORT_COLUMNS = [
    Column("code", "#loc+code"),
    Column("pcode", "#loc+pcode"),
    *admin_columns(pcode="pcode", path="path"),
    Column("level", "#loc+level"),
    Column("category", "#loc+type"),
    Column("parent", "#loc+code+parent", lambda row, context: parent_code(row["path"])),
    Column("name_uk", "#loc+name+i_uk"),
    Column("name_en", "#loc+name+i_en"),
    Column("latitude", "#geo+lat"),
    Column("longitude", "#geo+lon"),
    # The current status and its figures, each with its qualifier (empty: unknown or withheld).
    Column("status", "#status+level", "status__level"),
    Column("people_present", "#population+total", "status__people_present"),
    Column("people_present_qualifier", "#population+total+qualifier", "status__people_present_qualifier"),
    Column("people_present_basis", "#population+total+basis", "status__people_present_basis"),
    Column("people_present_missing", "#population+total+missing", "status__people_present_missing"),
    Column("children_present", "#population+children", "status__children_present"),
    Column("children_present_qualifier", "#population+children+qualifier", "status__children_present_qualifier"),
    Column("people_subject", "#affected+total", "status__people_subject"),
    Column("people_subject_qualifier", "#affected+total+qualifier", "status__people_subject_qualifier"),
    Column("people_subject_missing", "#affected+total+missing", "status__people_subject_missing"),
    Column("children_subject", "#affected+children", "status__children_subject"),
    Column("children_subject_qualifier", "#affected+children+qualifier", "status__children_subject_qualifier"),
]


def area_export_withheld(row: dict, context) -> tuple[str, ...]:
    """The children figures the roll-up marked withheld (a small count, or a sum over one)."""
    marked = row.get("status__children_withheld")
    if not marked:
        return ()
    present, subject = WITHHELD_CHILDREN[marked]
    return (*(("children_present",) if present else ()), *(("children_subject",) if subject else ()))


class HistoryPagination(CursorPagination):
    """A timeline is read oldest first, by the date each status holds from (a rebuild appends
    older dates after newer ones, so the id alone is not the order); the id breaks ties."""

    ordering = ("as_of", "id")

    def get_ordering(self, request, queryset, view):
        return self.ordering


class AreaViewSet(ExportMixin, ReadOnlyViewSet):
    """The administrative tree: countries, oblasts, raions, hromadas, settlements, city districts."""

    serializer_class = AreaSerializer
    filterset_class = AreaApiFilterSet
    lookup_field = "code"
    lookup_value_regex = "[A-Za-z0-9-]{1,24}"
    # Codes are unique and never reused: a stable cursor position.
    ordering = "code"
    action_roles = {"resolve": Role.VIEWER}
    export_filename = "areas"
    export_columns = AREA_EXPORT_COLUMNS
    export_reads = ("path", "status__children_withheld")
    export_withheld = staticmethod(area_export_withheld)
    export_ordering = "code"

    def get_queryset(self):
        return with_status_level(Area.objects)

    def list(self, request, *args, **kwargs):
        areas = self.filter_queryset(self.get_queryset()).values(*AREA_LIST_FIELDS)
        if "q" in request.query_params:
            return self.ranked_page(request, areas)
        # One dict per row from `.values()`: as fast here as compiled statements (docs/BENCHMARKS.md).
        rows = self.paginate_queryset(areas)
        return self.get_paginated_response([area_data(row) for row in rows])

    def ranked_page(self, request, areas):
        """A search's answer: one page in the resolver's order, best match first, and whether
        more areas matched than the page holds. A cursor would page by code and lose the rank."""
        if "cursor" in request.query_params:
            raise ValidationError({"cursor": [_("A search (q) answers one page: leave the cursor out.")]})
        limit = self.paginator.get_page_size(request)
        rows = list(areas[: limit + 1])
        page = {"next": None, "previous": None, "ranked": True, "truncated": len(rows) > limit}
        count = matching_rows(areas, request)
        if count is not None:
            # The resolver hands over at most SEARCH_CANDIDATES_MAX areas: a full hand may hold back more.
            page.update(count=count, count_is_lower_bound=count >= area_filters.SEARCH_CANDIDATES_MAX)
        return Response({**page, "results": [area_data(row) for row in rows[:limit]]})

    def get_object(self):
        self.kwargs["code"] = self.kwargs["code"].upper()
        return super().get_object()

    @extend_schema(
        methods=["GET"],
        summary="Resolve a place name to areas: resolved, ambiguous or not found, candidates ranked",
        parameters=[
            OpenApiParameter(
                "q",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                required=True,
                description="A place name as written: any spelling, script or former name; a trailing "
                '", X raion" or "(X oblast)" is context.',
                examples=[
                    OpenApiExample("news spelling", value="Kupyansk"),
                    OpenApiExample("Russian form", value="Kharkov"),
                    OpenApiExample("former name", value="Artemivsk"),
                    OpenApiExample("with context", value="Shevchenkove, Kupiansk raion"),
                ],
            ),
            OpenApiParameter(
                "within",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                description="Code or P-code of an area: only candidates under it (e.g. UA63).",
            ),
            OpenApiParameter(
                "near",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                description="lat,lon: candidates near the point rank higher (e.g. 49.71,37.61).",
            ),
            OpenApiParameter(
                "level",
                OpenApiTypes.STR,
                OpenApiParameter.QUERY,
                many=True,
                enum=AreaLevel.values,
                description="Only areas at these levels (repeat, or separate by commas).",
            ),
            OpenApiParameter(
                "limit",
                OpenApiTypes.INT,
                OpenApiParameter.QUERY,
                description="At most this many candidates (default 10, at most 50).",
            ),
        ],
        responses={200: ResolutionSerializer, 400: ErrorSerializer},
    )
    @extend_schema(
        methods=["POST"],
        summary=f"Resolve up to {RESOLVE_BATCH_MAX:,} place names at once, each answered in order",
        request=ResolveQuerySerializer(many=True),
        responses={200: ResolutionsSerializer, 400: ErrorSerializer},
        examples=[
            OpenApiExample(
                "a spreadsheet's place names",
                request_only=True,
                value=[
                    {"q": "Kupyansk"},
                    {"q": "Shevchenkove", "within": "UA6308"},
                    {"q": "Izyum", "near": "49.2,37.3"},
                ],
            )
        ],
    )
    # Any role may resolve, by GET or by POST (the batch form is a read too).
    @action(detail=False, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def resolve(self, request):
        if request.method == "GET":
            query = ResolveQuerySerializer(data=request.query_params)
            query.is_valid(raise_exception=True)
            return Response(resolutions_data([query.validated_data["q"]], [query.resolution()])[0])
        if not isinstance(request.data, list) or not 1 <= len(request.data) <= RESOLVE_BATCH_MAX:
            raise ValidationError(
                {"non_field_errors": [_("Send a JSON array of 1 to %(max)d items.") % {"max": RESOLVE_BATCH_MAX}]}
            )
        queries, errors = [], {}
        for index, item in enumerate(request.data):
            query = ResolveQuerySerializer(data=item)
            if query.is_valid():
                queries.append(query)
            else:
                errors[index] = flatten_errors(query.errors)
        if errors:
            raise RowsInvalid(errors)
        texts = [query.validated_data["q"] for query in queries]
        return Response({"results": resolutions_data(texts, [query.resolution() for query in queries])})

    @extend_schema(
        summary="An area's status now, or at a past date (as_of)",
        parameters=[OpenApiParameter("as_of", OpenApiTypes.DATE, OpenApiParameter.QUERY)],
        responses=AreaStatusSerializer,
    )
    @action(detail=True, methods=["get"], url_path="status", pagination_class=None, filter_backends=[])
    def status(self, request, code=None):
        as_of = date_param(request.query_params, "as_of")
        view = status_for_area(area=self.get_object(), as_of=as_of)
        return Response(status_data(self.caller, view))

    @extend_schema(
        summary="An area's status timeline, oldest first",
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATE, OpenApiParameter.QUERY),
            OpenApiParameter("until", OpenApiTypes.DATE, OpenApiParameter.QUERY),
        ],
        responses=StatusChangeSerializer(many=True),
    )
    @action(detail=True, methods=["get"], pagination_class=HistoryPagination, filter_backends=[])
    def history(self, request, code=None):
        since, until = date_param(request.query_params, "since"), date_param(request.query_params, "until")
        changes = self.paginate_queryset(status_history(area=self.get_object(), since=since, until=until))
        return self.get_paginated_response(
            [
                {
                    "as_of": change.as_of.isoformat(),
                    "level": change.level,
                    "level_for_everyone": change.level_for_everyone,
                    "group_levels": change.group_levels,
                    "previous_level": change.previous_level,
                    "score": change.score,
                    "sentence": change.sentence,
                    "reasons": reasons_for(self.caller, change.reasons),
                    "recorded_at": iso(change.recorded_at),
                }
                for change in changes
            ]
        )

    @extend_schema(
        summary="How many areas and people under an area sit at each status", responses=StatusSummarySerializer
    )
    @action(detail=True, methods=["get"], pagination_class=None, filter_backends=[])
    def summary(self, request, code=None):
        area = self.get_object()
        people = status_people_by_level(area=area, withhold=not self.caller.sees_sensitive)
        return Response({"area": area.code, "areas": status_summary(area=area), "people": people})


def area_statuses_data(request, codes) -> dict:
    """The change feed's data of area_status entries: each area's status now, as the status
    endpoint answers this caller (status_data: the same withholding)."""
    caller = caller_of(request)
    return {code: status_data(caller, view) for code, view in statuses_now(codes=codes).items()}


# The feed lives in reports, which may not import the engine: the engine says how its entries read.
change_data_register(ChangeType.AREA_STATUS, area_statuses_data)


PRESENT_WITHHELD = [ChildrenWithheld.PRESENT, ChildrenWithheld.BOTH]


def date_param(params, name) -> datetime.date | None:
    """The date in query parameter `name`, None when the parameter is absent. Given empty it is
    refused like any other non-date: an empty `as_of=` silently meaning today hides a client's bug."""
    if name not in params:
        return None
    try:
        return datetime.date.fromisoformat(params[name])
    except ValueError:
        raise ValidationError({name: [_("Give a date as YYYY-MM-DD.")]}) from None


def reasons_for(caller, reasons: list) -> list:
    """Incident reasons name the incidents behind them, some of which (another organization's
    unverified reports) a partner may not see: below coordinator, only the counts remain."""
    if caller.sees_everything:
        return reasons
    return [{k: v for k, v in reason.items() if k != "uids"} for reason in reasons]


def status_data(caller, view) -> dict:
    """The status as `caller` may see it. A children figure the engine marked withheld (a small
    count, or a sum over one anywhere below) is null for roles below coordinator and named in
    `withheld`, so that it is never read as unknown."""
    figures = dict(view.figures)
    withheld = []
    marked = WITHHELD_CHILDREN[figures.pop("children_withheld")]
    for name in QUALIFIER_FIELDS:
        # Stored blank for an unknown figure (or basis): null over the API, like the figure.
        figures[name] = figures.get(name) or None
    for name, marked_withheld in zip(("children_present", "children_subject"), marked, strict=True):
        if marked_withheld and not caller.sees_sensitive:
            figures[name] = None
            figures[f"{name}_qualifier"] = None
            withheld.append(name)
    return {
        "area": view.area_code,
        "as_of": view.as_of.isoformat(),
        "level": view.level,
        "level_for_everyone": view.level_for_everyone,
        "group_levels": view.group_levels,
        "distribution": view.distribution,
        "score": view.score,
        # The figures the caller may see, in words after the reasons: a withheld one is not named.
        "sentence": view.sentence_with(figures),
        "reasons": reasons_for(caller, view.reasons),
        "figures": figures,
        "computed": view.computed,
        "computed_at": iso(view.computed_at),
        "withheld": withheld,
    }


def status_people_by_level(*, area, withhold: bool) -> dict:
    """People and children present in the settlements under `area`, by their status. One query.

    With `withhold`, a level's children sum is null when it holds a withheld figure: with the
    other settlements' figures visible one by one, the sum would give that figure away."""
    rows = (
        Area.objects.within(area)
        .filter(level=AreaLevel.SETTLEMENT)
        .values("status__level")
        .annotate(
            people=Sum("status__people_present"),
            children=Sum("status__children_present"),
            children_withheld=Count("id", filter=Q(status__children_withheld__in=PRESENT_WITHHELD)),
        )
        .order_by()
    )
    people = {level: {"people_present": None, "children_present": None} for level in StatusLevel.values}
    hidden = set()
    for row in rows:
        level = row["status__level"] or StatusLevel.NORMAL
        if withhold and row["children_withheld"]:
            hidden.add(level)
        for key, value in (("people_present", row["people"]), ("children_present", row["children"])):
            if value is not None:
                people[level][key] = (people[level][key] or 0) + value
    for level in hidden:
        people[level]["children_present"] = None
    return people
