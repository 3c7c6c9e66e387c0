"""What every API viewset shares: role checks, input hygiene, ETags, If-Match, idempotent POSTs."""

import contextlib
import functools
import hashlib

import orjson
from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import exceptions, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from evactrack.access import services
from evactrack.access.permissions import RolePermission
from evactrack.access.policy import caller_of
from evactrack.kernel.api.conditional import check_if_match, etag_of, not_modified
from evactrack.kernel.api.exceptions import PayloadTooLarge
from evactrack.kernel.api.exports import export_format, export_response
from evactrack.kernel.api.filters import FilterBackend
from evactrack.kernel.api.renderers import ExportNegotiation, FastJSONRenderer, dumps

IDEMPOTENCY_KEY_MAX_LENGTH = 255
# Statuses not worth replaying: the same request may well succeed when retried.
NOT_STORED_STATUSES = {status.HTTP_409_CONFLICT, status.HTTP_429_TOO_MANY_REQUESTS}


def request_digest(request) -> str:
    """What makes two requests "the same" for an Idempotency-Key: method, path and body.

    A JSON body counts by its content, not its spelling: it is parsed and written again with
    sorted keys and no spaces, so a client that rebuilds the same object for its retry (keys in
    another order, other whitespace) is recognized. A body that is not JSON, or too deep to
    write back, is compared byte for byte.
    """
    body = request._request.body  # read before the parser, which can still read it afterwards
    with contextlib.suppress(orjson.JSONDecodeError, orjson.JSONEncodeError):
        body = orjson.dumps(orjson.loads(body), option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(request.method.encode() + b" " + request.get_full_path().encode() + b"\n" + body).hexdigest()


def idempotent(handler):
    """Honour `Idempotency-Key` on a POST handler.

    Same key and same request (method, path, JSON content) → the stored response, replayed with
    `Idempotent-Replayed: true`; same key, other request → 422. Keys are scoped per client
    (token or session user) and kept EVACTRACK_IDEMPOTENCY_TTL_HOURS (24 h by default).

    The key's record, the handler's writes and the response commit in one transaction, so no
    failure between them (a lost connection, a killed worker) can leave rows without their
    record: a retry either replays the response or finds nothing written. A copy arriving while
    the first runs waits for the key's row and then replays its answer. Server errors, 409 and
    429 roll everything back, key included.
    """

    @functools.wraps(handler)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return handler(self, request, *args, **kwargs)
        if not key or len(key) > IDEMPOTENCY_KEY_MAX_LENGTH or not key.isprintable():
            raise exceptions.ValidationError({"Idempotency-Key": [_("Use 1 to 255 printable characters.")]})
        client = caller_of(request).client
        digest = request_digest(request)
        with transaction.atomic():
            record = services.idempotency_claim(client=client, key=key, request_digest=digest)
            if record is not None:
                headers = {"Idempotent-Replayed": "true"}
                if record.location:
                    headers["Location"] = record.location
                return Response(record.response_body, status=record.status_code, headers=headers)
            try:
                # A savepoint: a handler that fails after writing leaves nothing behind, and the
                # claim survives to record its error response.
                with transaction.atomic():
                    response = handler(self, request, *args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - turned into the error response it deserves
                # What is not an API error becomes a logged 500, which rolls the claim back too.
                response = self.handle_exception(exc)
            if response.status_code >= 500 or response.status_code in NOT_STORED_STATUSES:
                transaction.set_rollback(True)
            else:
                services.idempotency_finish(
                    client=client,
                    key=key,
                    status_code=response.status_code,
                    body=orjson.loads(dumps(response.data)) if response.data is not None else None,
                    location=response.get("Location", ""),
                )
        return response

    return wrapper


class ApiViewMixin:
    """What every API view shares, resource or feed: the role check, the caller, and the
    refusal of input no view should see (an oversized body, NUL characters in the query)."""

    permission_classes = [RolePermission]
    # Unsafe actions and the least role that may run them; others need a coordinator.
    action_roles: dict = {}

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        length = request.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise PayloadTooLarge()
        # PostgreSQL cannot compare against text with NUL characters; refuse them by name.
        bad = {name: [_("Text cannot contain NUL characters.")] for name, value in request.query_params.lists()
               if "\x00" in name or any("\x00" in item for item in value)}  # fmt: skip
        if bad:
            raise exceptions.ValidationError(bad)

    @property
    def caller(self):
        return caller_of(self.request)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        context["caller"] = caller_of(self.request)
        return context


class ApiViewSetMixin(ApiViewMixin):
    """Base of every API viewset of a resource: lists, single objects with ETags."""

    filter_backends = [FilterBackend]
    # Whether PUT/PATCH must carry If-Match (428 without it).
    if_match_required = True

    # A hot list's rows, read by id (evactrack.kernel.api.statements.RowsById) and shaped by row_data;
    # None: the list builds instances and serializes them.
    list_statement = None

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        if self.list_statement is None:
            page = self.paginate_queryset(queryset)
            return self.get_paginated_response(self.get_serializer(page, many=True).data)
        # The page's ids first, with the column the cursor reads its position from; then their
        # rows. For 100 rows, building model instances and running them through a serializer
        # cost more than the rest of the request.
        ordering = [self.ordering] if isinstance(self.ordering, str) else list(self.ordering)
        # Cursor pagination reads its position from the first ordering field only.
        keys = self.paginate_queryset(queryset.values(*dict.fromkeys(["id", ordering[0].lstrip("-")])))
        rows = self.list_statement.rows([key["id"] for key in keys])
        return self.get_paginated_response([self.row_data(row) for row in rows])

    def row_data(self, row: dict):
        """One of `list_statement`'s rows as the API shows it, what the serializer makes of the
        object: a dict, or the object's JSON text as an orjson.Fragment."""
        raise NotImplementedError

    def retrieve(self, request, *args, **kwargs):
        instance = self.get_object()
        if hasattr(instance, "updated_at") and not_modified(request, instance):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": etag_of(instance)})
        response = Response(self.get_serializer(instance).data)
        return self._with_etag(response, instance)

    def _with_etag(self, response, instance):
        if hasattr(instance, "updated_at"):
            response["ETag"] = etag_of(instance)
        # What a caller sees depends on who they are.
        response["Vary"] = "Authorization, Cookie"
        return response


class WriteMixin:
    """Writes: If-Match on updates, Idempotency-Key on creates, ETag on every answer."""

    # Read by the schema (evactrack.kernel.api.schema), which documents If-Match where it is.
    conditional_writes = True

    def locked_object(self):
        """The object, locked until the transaction ends, so If-Match and the write see one version."""
        self.queryset_for_update = True
        return self.get_object()

    def get_queryset(self):
        queryset = super().get_queryset()
        if getattr(self, "queryset_for_update", False):
            queryset = queryset.select_for_update(of=("self",))
        return queryset

    def update(self, request, *args, **kwargs):
        partial = kwargs.pop("partial", False)
        with transaction.atomic():
            instance = self.locked_object()
            check_if_match(request, instance, required=self.if_match_required)
            serializer = self.get_serializer(instance, data=request.data, partial=partial)
            serializer.is_valid(raise_exception=True)
            instance = self.perform_update(serializer)
        # The lock ended with the transaction: read the saved row back without it (a
        # select_for_update outside a transaction is an error on PostgreSQL).
        self.queryset_for_update = False
        instance = self.get_queryset().get(pk=instance.pk)
        return self._with_etag(Response(self.get_serializer(instance).data), instance)

    def destroy(self, request, *args, **kwargs):
        with transaction.atomic():
            instance = self.locked_object()
            check_if_match(request, instance, required=False)
            self.perform_destroy(instance)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @idempotent
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        instance = self.perform_create(serializer)
        self.queryset_for_update = False
        instance = self.get_queryset().get(pk=instance.pk)
        response = Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)
        lookup = getattr(instance, self.lookup_field)
        response["Location"] = request.build_absolute_uri(f"{request.path.rstrip('/')}/{lookup}/")
        return self._with_etag(response, instance)


class ExportMixin:
    """`…/export/?format=csv|geojson`: the list's rows, chosen by the list's filters, streamed as
    the resource's export columns. A viewset declares `export_filename`, `export_columns`, what
    the columns read besides themselves (`export_reads`), the order (`export_ordering`), and
    `export_withheld(row, context)` when some columns are withheld from callers who may not see
    sensitive fields."""

    export_filename: str
    export_columns: list
    export_reads: tuple[str, ...] = ()
    export_ordering = "id"
    export_withheld = None

    @extend_schema(
        summary="Export the list's rows (CSV with HXL hashtags, or GeoJSON), streamed",
        parameters=[
            OpenApiParameter(
                "format", OpenApiTypes.STR, OpenApiParameter.QUERY, enum=["csv", "geojson"],
                description="csv (with an HXL hashtag row) or geojson (FeatureCollection).",
            )
        ],
        # The list's filters choose the exported rows.
        filters=True,
        responses={(200, "text/csv"): OpenApiTypes.STR, (200, "application/geo+json"): OpenApiTypes.OBJECT},
    )  # fmt: skip
    @action(detail=False, methods=["get"], renderer_classes=[FastJSONRenderer],
            content_negotiation_class=ExportNegotiation, pagination_class=None)  # fmt: skip
    def export(self, request):
        withheld = self.export_withheld
        return export_response(
            fmt=export_format(request),
            filename=self.export_filename,
            columns=self.export_columns,
            queryset=self.filter_queryset(self.get_queryset()).order_by(self.export_ordering),
            caller=self.caller,
            reads=self.export_reads,
            withheld=None if withheld is None or self.caller.sees_sensitive else withheld,
        )


class ReadOnlyViewSet(ApiViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ModelViewSet(WriteMixin, ApiViewSetMixin, viewsets.ModelViewSet):
    pass
