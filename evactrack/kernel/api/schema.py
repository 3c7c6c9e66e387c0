"""OpenAPI: every operation documents the shared error shape, its usual error statuses, the
If-Match it takes and the bounds its filters enforce; the schema view answers JSON or YAML."""

from django import forms
from drf_spectacular import openapi
from drf_spectacular.contrib.django_filters import DjangoFilterExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework import serializers
from rest_framework.negotiation import DefaultContentNegotiation


class ErrorSerializer(serializers.Serializer):
    """The one error shape of the API."""

    status = serializers.IntegerField(help_text="The HTTP status, repeated.")
    code = serializers.CharField(help_text="Machine-readable: invalid, not_found, precondition_failed, in_flight…")
    detail = serializers.CharField(help_text="A sentence for humans.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field (dotted for nested input: citations.0.source). Empty when none.",
    )
    rows = serializers.DictField(
        child=serializers.DictField(child=serializers.ListField(child=serializers.CharField())),
        required=False,
        help_text="Bulk writes only: field messages per failing row index.",
    )


ERROR_STATUSES_READ = {"400": "Invalid filter or parameter.", "401": "No or bad credentials.",
                       "403": "Your role does not allow this.", "404": "No such object, or not visible to you.",
                       "429": "Too many requests from this client; see Retry-After."}  # fmt: skip
ERROR_STATUSES_WRITE = {
    "409": "A request with the same Idempotency-Key is still running.",
    "413": "The body is larger than the limit.",
    "415": "Only application/json is accepted.",
    "422": "The Idempotency-Key was used with another request body.",
}
STALE_IF_MATCH = {"412": "If-Match does not match the current ETag."}
MISSING_IF_MATCH = {"428": "If-Match is required."}


class AutoSchema(openapi.AutoSchema):
    def if_match(self) -> str | None:
        """How the operation takes If-Match: "required", "optional", or None where it reads none.

        A view whose writes check If-Match says so with `conditional_writes` (as
        evactrack.access.viewsets.WriteMixin does)."""
        if not getattr(self.view, "conditional_writes", False):
            return None
        action = getattr(self.view, "action", None)
        if action in ("update", "partial_update"):
            return "required" if self.view.if_match_required else "optional"
        return "optional" if action == "destroy" else None

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        if_match = self.if_match()
        if if_match is not None:
            required = if_match == "required"
            consequences = "Missing: 428; stale: 412." if required else "Optional; stale: 412."
            parameters.append(
                OpenApiParameter(
                    "If-Match",
                    OpenApiTypes.STR,
                    OpenApiParameter.HEADER,
                    required=required,
                    description=f"The ETag from your last GET of this object. {consequences}",
                )
            )
        return parameters

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        error = self.resolve_serializer(ErrorSerializer, "response")
        statuses = dict(ERROR_STATUSES_READ)
        if method in ("POST", "PUT", "PATCH"):
            statuses.update(ERROR_STATUSES_WRITE)
        if_match = self.if_match()
        if if_match is not None:
            statuses.update(STALE_IF_MATCH)
        if if_match == "required":
            statuses.update(MISSING_IF_MATCH)
        responses = operation.setdefault("responses", {})
        for code, description in statuses.items():
            responses.setdefault(
                code,
                {"description": description, "content": {"application/json": {"schema": error.ref}}},
            )
        return operation


class FilterParameters(DjangoFilterExtension):
    """django-filter's query parameters with the bounds the filters enforce (whole numbers,
    minimum, maximum, maxLength), so that clients and fuzzers learn them from the schema
    rather than from 400s."""

    target_class = "evactrack.kernel.api.filters.FilterBackend"
    priority = 1

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        bounds = filter_bounds(filter_field)
        for parameter in parameters:
            schema = parameter["schema"]
            schema.update(bounds.get(schema.get("type"), {}))
            if schema.get("type") == "number" and issubclass(filter_field.field_class, forms.IntegerField):
                schema["type"] = "integer"
                schema.update(bounds["integer"])
        return parameters


def filter_bounds(filter_field) -> dict[str, dict]:
    """The schema keywords of a filter's limits, by the JSON type they apply to."""
    extra = filter_field.extra
    numeric = {
        keyword: extra[name] for keyword, name in (("minimum", "min_value"), ("maximum", "max_value")) if name in extra
    }
    text = {"maxLength": extra["max_length"]} if "max_length" in extra else {}
    return {"integer": numeric, "number": numeric, "string": text}


class FormatParameterNegotiation(DefaultContentNegotiation):
    """Reads `?format=` as a format suffix. The API's settings turn DRF's own ?format= off
    (URL_FORMAT_OVERRIDE), since `format` is an export filter there; the schema view has no such
    filter and answers JSON for `?format=json`, YAML for `?format=yaml` or none."""

    def select_renderer(self, request, renderers, format_suffix=None):
        return super().select_renderer(request, renderers, format_suffix or request.query_params.get("format"))
