"""OpenAPI: every operation documents the shared error shape and its usual error statuses."""

from drf_spectacular import openapi
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import serializers


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
ERROR_STATUSES_UPDATE = {"412": "If-Match does not match the current ETag.", "428": "If-Match is required."}


class AutoSchema(openapi.AutoSchema):
    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        error = self.resolve_serializer(ErrorSerializer, "response")
        statuses = dict(ERROR_STATUSES_READ)
        if method in ("POST", "PUT", "PATCH"):
            statuses.update(ERROR_STATUSES_WRITE)
        if method in ("PUT", "PATCH", "DELETE"):
            statuses.update(ERROR_STATUSES_UPDATE)
        responses = operation.setdefault("responses", {})
        for code, description in statuses.items():
            responses.setdefault(
                code,
                {"description": description, "content": {"application/json": {"schema": error.ref}}},
            )
        return operation


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "evactrack.api.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "`Authorization: Bearer evt_…`. Tokens are issued by an administrator, expire and "
            "can be revoked; each belongs to one client of one organization.",
        }
