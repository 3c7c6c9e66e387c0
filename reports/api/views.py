"""Reports over the API. Views only choose rows and call services; rules live in the services."""

from collections import defaultdict

from django.conf import settings
from django.db import connection
from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.filters import OrderingFilter
from rest_framework.response import Response

from evactrack.access.choices import Role
from evactrack.access.viewsets import ApiViewMixin, ExportMixin, ModelViewSet, ReadOnlyViewSet, idempotent
from evactrack.kernel.api.exceptions import error_body, flatten_errors
from evactrack.kernel.api.filters import FilterBackend
from evactrack.kernel.api.schema import AutoSchema, ErrorSerializer
from evactrack.kernel.api.statements import RowsById
from locations.api.serializers import iso
from locations.models import Area
from reports import services
from reports.api.serializers import (
    COUNTS,
    DESIGNATIONS,
    INCIDENTS,
    ChangePageSerializer,
    ChangeQuerySerializer,
    ChangeSerializer,
    ChangesPrunedSerializer,
    ConfirmSerializer,
    DesignationSerializer,
    EvacuationOrderSerializer,
    IncidentSerializer,
    LiftSerializer,
    PopulationCountSerializer,
    ReviewSerializer,
    SourceSerializer,
    TombstoneSerializer,
    incident_list_item,
    incident_list_rows,
)
from reports.choices import ChangeType, OrderState, Reliability, VerificationState
from reports.filtersets import (
    DesignationFilterSet,
    EvacuationOrderFilterSet,
    IncidentFilterSet,
    PopulationCountFilterSet,
    SourceFilterSet,
    TombstoneFilterSet,
)
from reports.models import (
    Change,
    ControlDesignation,
    EvacuationOrder,
    Incident,
    OrderTarget,
    PopulationCount,
    Source,
    Tombstone,
)
from reports.selectors import changes_visible, incidents_visible

UUID_PATTERN = "[0-9a-fA-F-]{36}"
BULK_MAX_ROWS = 1000


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key", OpenApiTypes.STR, OpenApiParameter.HEADER,
    description="Any unique string (a UUID). Retrying with the same key and body returns the stored response "
    "instead of creating a second row; kept 24 hours, scoped to your client.",
)  # fmt: skip
ORDERING_ID = OpenApiParameter(
    "ordering", OpenApiTypes.STR, OpenApiParameter.QUERY, enum=["id", "-id"],
    description="Insertion order, newest first by default; `id` for a sync that reads oldest first.",
)  # fmt: skip


class IdOrdering(OrderingFilter):
    """Only insertion order: one unique column keeps cursor pages stable while rows arrive."""

    ordering_fields = ["id"]

    def get_valid_fields(self, queryset, view, context=None):
        return [("id", "id")]


class FactViewSetMixin:
    """Incidents, orders and counts: addressed by uid."""

    lookup_field = "uid"
    lookup_value_regex = UUID_PATTERN
    ordering = "-id"

    def get_serializer_context(self):
        context = super().get_serializer_context()
        if not hasattr(self, "_input_lookups"):
            self._input_lookups = self.lookups_for_input()
        context.update(self._input_lookups)
        return context

    def lookups_for_input(self) -> dict:
        """Resolve every area code and source slug of the request body in two queries."""
        data = getattr(self.request, "_full_data", None) if self.request else None
        if data is None or self.request.method not in ("POST", "PUT", "PATCH"):
            return {}
        rows = data if isinstance(data, list) else [data]
        codes, slugs = set(), set()
        for row in rows[: BULK_MAX_ROWS + 1]:
            if not isinstance(row, dict):
                continue
            for key in ("area",):
                if isinstance(row.get(key), str):
                    codes.add(row[key].strip().upper())
            for target in row.get("targets") or []:
                if isinstance(target, dict) and isinstance(target.get("area"), str):
                    codes.add(target["area"].strip().upper())
            for code in row.get("destinations") or []:
                if isinstance(code, str):
                    codes.add(code.strip().upper())
            for citation in row.get("citations") or []:
                if isinstance(citation, dict) and isinstance(citation.get("source"), str):
                    slugs.add(citation["source"])
        codes = {code for code in codes if len(code) <= 24 and "\x00" not in code}
        slugs = {slug for slug in slugs if len(slug) <= 100 and "\x00" not in slug}
        return {
            "areas": {area.code: area for area in Area.objects.filter(code__in=codes)} if codes else {},
            "sources": {s.slug: s for s in Source.objects.filter(slug__in=slugs)} if slugs else {},
        }


# Derived from the declaration (reports.api.serializers.INCIDENTS), as the list and the object are.
INCIDENT_EXPORT_COLUMNS = INCIDENTS.export_columns()
# What the rule on withholding the point reads besides the columns.
INCIDENT_EXPORT_READS = INCIDENTS.export_reads


@extend_schema_view(
    list=extend_schema(summary="List incidents", parameters=[ORDERING_ID]),
    create=extend_schema(
        summary="Report an incident",
        parameters=[IDEMPOTENCY_KEY],
        examples=[
            OpenApiExample(
                "Shelling in Kupiansk",
                request_only=True,
                value={
                    "incident_type": "shelling",
                    "occurred_on": "2023-08-10",
                    "area": "UA63080090010026457",
                    "fatalities": 1,
                    "fatalities_qualifier": "exact",
                    "summary": "Shelling of a residential street.",
                    "citations": [{"source": "ukrinform-2023-08-10", "locator": "¶3"}],
                },
            )
        ],
    ),
)
class IncidentViewSet(FactViewSetMixin, ExportMixin, ModelViewSet):
    """Incidents. Partners see verified incidents plus every report of their own organization,
    and edit or delete only their own organization's reports still awaiting review."""

    serializer_class = IncidentSerializer
    filterset_class = IncidentFilterSet
    export_filename = "incidents"
    export_columns = INCIDENT_EXPORT_COLUMNS
    export_reads = INCIDENT_EXPORT_READS
    # The exact point of a vulnerable place, withheld from other organizations (the declaration's rule).
    export_withheld = INCIDENTS.export_hidden
    filter_backends = [FilterBackend, IdOrdering]
    action_roles = {
        "create": Role.PARTNER,
        "update": Role.PARTNER,
        "partial_update": Role.PARTNER,
        "destroy": Role.PARTNER,
        "bulk": Role.PARTNER,
        "verify": Role.COORDINATOR,
        "reject": Role.COORDINATOR,
        "dispute": Role.COORDINATOR,
    }

    # A list page's rows, after the queryset below found their ids.
    list_statement = RowsById(incident_list_rows)

    def get_queryset(self):
        queryset = Incident.objects.all()
        if self.action != "list":
            # A single object's organization slug and area, in the same query.
            queryset = queryset.annotate(**INCIDENTS.detail_annotations())
        queryset = incidents_visible(queryset, self.caller)
        if getattr(self, "queryset_for_update", False):
            queryset = queryset.select_for_update(of=("self",))
        return queryset

    def row_data(self, row):
        return incident_list_item(row, self.caller)

    def check_object_role(self, caller, incident) -> bool:
        if self.request.method in ("GET", "HEAD", "OPTIONS") or caller.sees_everything:
            return True
        return (
            caller.organization_id is not None
            and incident.reporting_organization_id == caller.organization_id
            and incident.verification_state == VerificationState.REPORTED
        )

    def _fields_for_caller(self, validated: dict) -> dict:
        fields = dict(validated)
        if not self.caller.sees_everything:
            # Partners always report as their own organization. Naming another is refused, not
            # rewritten: a client that believes it reported for someone else must learn it did not.
            claimed = fields.pop("reporting_organization", None)
            if claimed is not None and claimed.pk != self.caller.organization_id:
                message = _("You report as your own organization: leave this out or send its slug.")
                raise exceptions.ValidationError({"reporting_organization": [message]})
            if self.request.method == "POST":
                fields["reporting_organization_id"] = self.caller.organization_id
        elif self.request.method == "POST" and fields.get("reporting_organization") is None:
            fields.pop("reporting_organization", None)
            fields["reporting_organization_id"] = self.caller.organization_id
        return fields

    def perform_create(self, serializer):
        fields = self._fields_for_caller(serializer.validated_data)
        return services.incident_create(actor=self.request.user, **fields)

    def perform_update(self, serializer):
        fields = self._fields_for_caller(serializer.validated_data)
        return services.incident_update(incident=serializer.instance, actor=self.request.user, **fields)

    def perform_destroy(self, instance):
        services.incident_delete(incident=instance, actor=self.request.user)

    @extend_schema(
        summary="Report up to 1,000 incidents at once, all or nothing",
        request=IncidentSerializer(many=True),
        parameters=[IDEMPOTENCY_KEY],
        responses={201: IncidentSerializer(many=True), 400: ErrorSerializer},
    )
    # The created rows, all of them, in one bare array: no filters, no pages.
    @action(detail=False, methods=["post"], pagination_class=None, filter_backends=[])
    @idempotent
    def bulk(self, request):
        if not isinstance(request.data, list):
            raise exceptions.ValidationError({"non_field_errors": [_("Send a JSON array of incidents.")]})
        if not 1 <= len(request.data) <= BULK_MAX_ROWS:
            raise exceptions.ValidationError(
                {"non_field_errors": [_("Send between 1 and %(max)d incidents.") % {"max": BULK_MAX_ROWS}]}
            )
        # Row by row, so each error carries its row's index whatever DRF's list error format;
        # one serializer for all rows, since building its fields costs more than validating.
        validator = self.get_serializer()
        rows, errors = [], {}
        for index, data in enumerate(request.data):
            try:
                rows.append(self._fields_for_caller(validator.run_validation(data)))
            except exceptions.ValidationError as error:
                errors[index] = flatten_errors(error.detail)
        if errors:
            raise services.RowsInvalid(errors)
        created = services.incident_create_many(rows=rows, actor=request.user)
        instances = self.get_queryset().filter(pk__in=[i.pk for i in created]).order_by("id")
        return Response(self.get_serializer(instances, many=True).data, status=status.HTTP_201_CREATED)

    def _review(self, request, state):
        with_note = ReviewSerializer(data=request.data)
        with_note.is_valid(raise_exception=True)
        incident = self.get_object()
        services.incident_review(
            incident=incident, state=state, actor=request.user, note=with_note.validated_data["note"]
        )
        incident = self.get_queryset().get(pk=incident.pk)
        return self._with_etag(Response(self.get_serializer(incident).data), incident)

    @extend_schema(summary="Verify an incident (coordinators)", request=ReviewSerializer, responses=IncidentSerializer)
    @action(detail=True, methods=["post"])
    def verify(self, request, uid=None):
        return self._review(request, VerificationState.VERIFIED)

    @extend_schema(
        summary="Reject an incident, saying why (coordinators)", request=ReviewSerializer, responses=IncidentSerializer
    )
    @action(detail=True, methods=["post"])
    def reject(self, request, uid=None):
        return self._review(request, VerificationState.REJECTED)

    @extend_schema(
        summary="Mark an incident disputed, saying why (coordinators)",
        request=ReviewSerializer,
        responses=IncidentSerializer,
    )
    @action(detail=True, methods=["post"])
    def dispute(self, request, uid=None):
        return self._review(request, VerificationState.DISPUTED)


@extend_schema_view(create=extend_schema(parameters=[IDEMPOTENCY_KEY]))
class EvacuationOrderViewSet(FactViewSetMixin, ModelViewSet):
    """Evacuation orders. Everyone reads them (drafts: coordinators only); coordinators write."""

    serializer_class = EvacuationOrderSerializer
    filterset_class = EvacuationOrderFilterSet
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        queryset = EvacuationOrder.objects.select_related("issuing_organization", "supersedes").prefetch_related(
            Prefetch("targets", queryset=OrderTarget.objects.select_related("area")),
            Prefetch("destination_areas", queryset=Area.objects.only("id", "code")),
        )
        if not self.caller.sees_everything:
            queryset = queryset.exclude(state=OrderState.DRAFT)
        if getattr(self, "queryset_for_update", False):
            queryset = queryset.select_for_update(of=("self",))
        return queryset

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        destinations = fields.pop("destinations", [])
        return services.order_create(actor=self.request.user, destinations=destinations, **fields)

    def perform_update(self, serializer):
        return services.order_update(order=serializer.instance, actor=self.request.user, **serializer.validated_data)

    @extend_schema(
        summary="Confirm that an order still holds (coordinators)",
        request=ConfirmSerializer,
        responses=EvacuationOrderSerializer,
    )
    @action(detail=True, methods=["post"])
    def confirm(self, request, uid=None):
        body = ConfirmSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = self.get_object()
        services.order_confirm(order=order, confirmed_on=body.validated_data.get("confirmed_on"), actor=request.user)
        order = self.get_queryset().get(pk=order.pk)
        return self._with_etag(Response(self.get_serializer(order).data), order)

    @extend_schema(summary="Lift an order (coordinators)", request=LiftSerializer, responses=EvacuationOrderSerializer)
    @action(detail=True, methods=["post"])
    def lift(self, request, uid=None):
        body = LiftSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        order = self.get_object()
        services.order_lift(order=order, lifted_on=body.validated_data.get("lifted_on"), actor=request.user)
        order = self.get_queryset().get(pk=order.pk)
        return self._with_etag(Response(self.get_serializer(order).data), order)


COUNT_EXPORT_COLUMNS = COUNTS.export_columns()
COUNT_EXPORT_READS = ("area__path",)


@extend_schema_view(create=extend_schema(parameters=[IDEMPOTENCY_KEY]))
class PopulationCountViewSet(FactViewSetMixin, ExportMixin, ModelViewSet):
    """Population counts. Everyone reads; coordinators write. Child counts under the
    small-count threshold are withheld from roles without sensitive access."""

    serializer_class = PopulationCountSerializer
    filterset_class = PopulationCountFilterSet
    export_filename = "population-counts"
    export_columns = COUNT_EXPORT_COLUMNS
    export_reads = COUNT_EXPORT_READS
    export_withheld = COUNTS.export_hidden
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    def get_queryset(self):
        queryset = PopulationCount.objects.select_related("area")
        if getattr(self, "queryset_for_update", False):
            queryset = queryset.select_for_update(of=("self",))
        return queryset

    def perform_create(self, serializer):
        return services.population_count_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        return services.population_count_update(
            count=serializer.instance, actor=self.request.user, **serializer.validated_data
        )


DESIGNATION_EXPORT_COLUMNS = DESIGNATIONS.export_columns()
DESIGNATION_EXPORT_READS = ("area__path",)


@extend_schema_view(
    list=extend_schema(summary="List control designations (occupation, active hostilities)"),
    create=extend_schema(
        summary="Record a control designation (coordinators)",
        parameters=[IDEMPOTENCY_KEY],
        examples=[
            OpenApiExample(
                "Kupiansk hromada occupied",
                request_only=True,
                value={
                    "area": "UA63080090000067457",
                    "kind": "occupied",
                    "valid_from": "2022-02-27",
                    "valid_until": "2022-09-10",
                    "valid_until_precision": "day",
                    "summary": "Occupied from the first days of the invasion until the counteroffensive.",
                    "citations": [{"source": "ukrinform-2022-09-10", "locator": "¶1"}],
                },
            )
        ],
    ),
    destroy=extend_schema(summary="Withdraw a designation entered in error (coordinators)"),
)
class DesignationViewSet(FactViewSetMixin, ExportMixin, ModelViewSet):
    """Control designations: the official acts saying an area is occupied or under active
    hostilities, from when until when. Everyone reads them; coordinators write."""

    serializer_class = DesignationSerializer
    filterset_class = DesignationFilterSet
    export_filename = "designations"
    export_columns = DESIGNATION_EXPORT_COLUMNS
    export_reads = DESIGNATION_EXPORT_READS

    def get_queryset(self):
        queryset = ControlDesignation.objects.select_related("area")
        if getattr(self, "queryset_for_update", False):
            queryset = queryset.select_for_update(of=("self",))
        return queryset

    def perform_create(self, serializer):
        return services.designation_create(actor=self.request.user, **serializer.validated_data)

    def perform_update(self, serializer):
        return services.designation_update(
            designation=serializer.instance, actor=self.request.user, **serializer.validated_data
        )

    def perform_destroy(self, instance):
        services.designation_delete(designation=instance, actor=self.request.user)


@extend_schema_view(create=extend_schema(parameters=[IDEMPOTENCY_KEY]))
class SourceViewSet(ModelViewSet):
    """Sources. Partners add the sources their incidents cite; coordinators correct them."""

    serializer_class = SourceSerializer
    filterset_class = SourceFilterSet
    queryset = Source.objects.all()
    lookup_field = "slug"
    lookup_value_regex = "[-a-zA-Z0-9_]+"
    ordering = "-id"
    action_roles = {"create": Role.PARTNER}
    http_method_names = ["get", "post", "put", "patch", "head", "options"]

    # Reliability only a coordinator may give (reports.choices.Reliability).
    coordinator_grades = {Reliability.A, Reliability.B}

    def _grade_for_caller(self, fields: dict) -> None:
        """Grades a and b say a source has proven itself over many reports: a coordinator's
        judgement, who sees every organization's. Others may send the lower grades, which
        raise trust in nothing, or leave it out (f, cannot be judged)."""
        if not self.caller.sees_everything and fields.get("reliability") in self.coordinator_grades:
            raise exceptions.ValidationError(
                {"reliability": [_("Grades a and b are given by a coordinator; send c to f or leave it out.")]}
            )

    def perform_create(self, serializer):
        fields = dict(serializer.validated_data)
        self._grade_for_caller(fields)
        slug = fields.pop("slug")
        if Source.objects.filter(slug=slug).exists():
            raise exceptions.ValidationError({"slug": [_("A source with this slug exists; cite it.")]})
        source, _created = services.source_upsert(slug=slug, actor=self.request.user, **fields)
        return source

    def perform_update(self, serializer):
        fields = dict(serializer.validated_data)
        self._grade_for_caller(fields)
        slug = fields.pop("slug", serializer.instance.slug)
        if slug != serializer.instance.slug:
            raise exceptions.ValidationError({"slug": [_("A source's slug cannot change.")]})
        fields.setdefault("title", serializer.instance.title)
        source, _created = services.source_upsert(slug=slug, actor=self.request.user, **fields)
        return source


@extend_schema_view(list=extend_schema(summary="Deleted facts since a time, oldest first"))
class DeletionViewSet(ReadOnlyViewSet):
    """The deletions feed: a partner that syncs with `updated_since` reads this with `since`
    to learn which objects are gone."""

    serializer_class = TombstoneSerializer
    filterset_class = TombstoneFilterSet
    queryset = Tombstone.objects.all()
    ordering = "id"
    lookup_value_regex = "[0-9]+"


def detail_data(viewset, key: str):
    """The data of one type's entries: its objects as `viewset`'s detail endpoint shows them to
    the caller (the same queryset and serializer, so the same visibility and withholding), by
    the field its URL is keyed by. One read (with its prefetches) per page."""

    def data(request, keys) -> dict:
        view = viewset(request=request, format_kwarg=None, action="retrieve", args=(), kwargs={})
        objects = list(view.get_queryset().filter(**{f"{key}__in": keys}))
        serialized = view.get_serializer(objects, many=True).data
        return {str(getattr(instance, key)): item for instance, item in zip(objects, serialized, strict=True)}

    return data


# For each type of entry: (request, keys) → {key: data} for the objects the caller may read now.
CHANGE_DATA = {
    ChangeType.INCIDENT: detail_data(IncidentViewSet, "uid"),
    ChangeType.ORDER: detail_data(EvacuationOrderViewSet, "uid"),
    ChangeType.POPULATION_COUNT: detail_data(PopulationCountViewSet, "uid"),
    ChangeType.SOURCE: detail_data(SourceViewSet, "slug"),
    ChangeType.DESIGNATION: detail_data(DesignationViewSet, "uid"),
}


def change_data_register(change_type: str, data) -> None:
    """Say how entries of a type another layer owns are rendered: the area statuses are the
    status engine's (evactrack.status.api.views registers them), which reports may not import."""
    CHANGE_DATA[change_type] = data


class ChangeFeedSchema(AutoSchema):
    """The feed's list answers one object (results and next_after), not an array of them."""

    def _is_list_view(self, serializer=None) -> bool:
        return False


def changes_bounds() -> tuple[int, int | None]:
    """The highest seq (0 without any) and the lowest (None without any), in one query.

    Two subqueries, not MAX and MIN in one SELECT: SQLite reads a lone MIN or MAX from the
    index's end, but scans the whole table for both at once."""
    table = connection.ops.quote_name(Change._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT (SELECT MAX(seq) FROM {table}), (SELECT MIN(seq) FROM {table})")
        top, oldest = cursor.fetchone()
    return top or 0, oldest


@extend_schema_view(
    list=extend_schema(
        summary="Changes after a position, in commit order: the sync feed",
        operation_id="v1_changes_list",
        parameters=[ChangeQuerySerializer],
        responses={200: ChangePageSerializer, 400: ErrorSerializer, 410: ChangesPrunedSerializer},
    )
)
class ChangeViewSet(ApiViewMixin, viewsets.GenericViewSet):
    """The change feed: every write of an incident, order, population count, source or
    designation, and every change of an area's stored status, in the order the entries became
    visible; keep `next_after` and send it as `after` next time.

    Why nothing is missed (reports.services.changes_stamp): entries are written without a seq
    in the writer's transaction; this read first stamps the committed ones, one stamper at a
    time, each above every seq already handed out. It then reads the highest seq M, and the
    caller's entries in (after, M]: every entry up to M is committed and stamped, and any entry
    stamped later gets a seq above M. A page short of `limit` thus covers everything up to M,
    and next_after is M; a full page ends at its last seq.

    Each entry is named to a caller who could read the object before or after the change
    (reports.selectors.changes_visible); it comes as `upsert` with the object as its detail
    endpoint shows this caller now (the same viewset's queryset and serializer, so the same
    visibility and withholding), else as `remove`.
    """

    serializer_class = ChangeSerializer
    # Only a list: ApiViewMixin, not ApiViewSetMixin, whose retrieve would make the router add
    # a detail route.
    filter_backends = []
    pagination_class = None
    http_method_names = ["get", "head", "options"]
    schema = ChangeFeedSchema()

    def list(self, request):
        query = ChangeQuerySerializer(data=self._query())
        query.is_valid(raise_exception=True)
        after, limit = query.validated_data["after"], query.validated_data["limit"]
        types = query.validated_data.get("types")
        services.changes_stamp()
        # M first, then the rows up to M: a stamp committed in between is left for next time.
        # The oldest kept seq in the same read: below it entries were pruned (changes_prune).
        top, oldest = changes_bounds()
        if oldest is not None and after < oldest - 1:
            return self._pruned(top)
        entries = Change.objects.filter(seq__gt=after, seq__lte=top)
        if types:
            entries = entries.filter(type__in=types)
        entries = list(changes_visible(entries, self.caller).order_by("seq")[:limit])
        current = self._current(entries)
        results = []
        for entry in entries:
            data = current.get((entry.type, entry.uid))
            results.append(
                {
                    "seq": entry.seq,
                    "type": entry.type,
                    "uid": entry.uid,
                    "action": "remove" if data is None else "upsert",
                    "at": iso(entry.at),
                    "data": data,
                }
            )
        next_after = entries[-1].seq if len(entries) == limit else max(after, top)
        response = Response({"results": results, "next_after": next_after})
        response["Vary"] = "Authorization, Cookie"
        return response

    def _pruned(self, top: int) -> Response:
        """410: entries after `after` were pruned, so this client may have missed changes."""
        detail = _(
            "Changes after this position were pruned (kept %(days)d days). Read every list in full, "
            "then follow the feed from this answer's next_after: changes made during your full read "
            "come again after it."
        ) % {"days": settings.EVACTRACK_CHANGES_RETENTION_DAYS}
        body = {**error_body(status_code=410, code="changes_pruned", detail=detail), "next_after": top}
        response = Response(body, status=status.HTTP_410_GONE)
        response["Vary"] = "Authorization, Cookie"
        return response

    def _query(self) -> dict:
        params = self.request.query_params
        query = {name: params[name] for name in ("after", "limit") if name in params}
        if "types" in params:
            query["types"] = ",".join(params.getlist("types"))
        return query

    def _current(self, entries) -> dict:
        """The entries' objects this caller may read now, as their detail endpoints show them:
        (type, key) → data. One read per type (CHANGE_DATA)."""
        wanted = defaultdict(set)
        for entry in entries:
            wanted[entry.type].add(entry.uid)
        current = {}
        for change_type, keys in wanted.items():
            for key, data in CHANGE_DATA[change_type](self.request, keys).items():
                current[(change_type, key)] = data
        return current
