"""One error shape for the whole API, and the exceptions only the API raises.

Every error body is
    {"status": 400, "code": "invalid", "detail": "…", "fields": {"area": ["Unknown area code."]}}
with `fields` always present (empty when the error is not about a field) and, for bulk
writes, `rows`: {"3": {"area": ["…"]}} keyed by the failing row's index.
"""

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError
from django.http import Http404, HttpResponse
from django.utils.log import log_response
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from evactrack.kernel.api.renderers import FastJSONRenderer, dumps
from evactrack.kernel.db import RowsInvalid

NON_FIELD = "non_field_errors"


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = _("The request body is too large.")
    default_code = "payload_too_large"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _("Send If-Match with the ETag you last read, so you do not overwrite a newer change.")
    default_code = "precondition_required"


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The object changed since you read it. Read it again and retry with the new ETag.")
    default_code = "precondition_failed"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("A request with this Idempotency-Key is still being processed. Retry later.")
    default_code = "in_flight"


class Unprocessable(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("This Idempotency-Key was used with a different request.")
    default_code = "idempotency_key_reused"


class InvalidCursor(exceptions.ValidationError):
    """A `cursor` this list did not give: garbled, edited, or another list's position."""

    error_code = "invalid_cursor"

    def __init__(self):
        super().__init__({"cursor": [_("Not a cursor of this list. Start again without one.")]})


def error_body(*, status_code: int, code: str, detail, fields=None, rows=None) -> dict:
    body = {"status": status_code, "code": code, "detail": str(detail), "fields": fields or {}}
    if rows is not None:
        body["rows"] = rows
    return body


def flatten_errors(detail, prefix="") -> dict[str, list[str]]:
    """DRF nests errors like the data (lists, dicts); partners get flat dotted names."""
    flat: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            name = f"{prefix}.{key}" if prefix else str(key)
            for sub, messages in flatten_errors(value, name).items():
                flat.setdefault(sub, []).extend(messages)
    elif isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            flat[prefix or NON_FIELD] = [str(item) for item in detail]
        else:
            for index, item in enumerate(detail):
                if item:
                    flat.update(flatten_errors(item, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat[prefix or NON_FIELD] = [str(detail)]
    return flat


def django_error_fields(error: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {(NON_FIELD if name == "__all__" else name): messages for name, messages in error.message_dict.items()}
    return {NON_FIELD: error.messages}


def error_response(*, status_code: int, code: str, detail) -> HttpResponse:
    """The error shape outside DRF: Django's own views, middleware, the error handlers."""
    body = error_body(status_code=status_code, code=code, detail=detail)
    return HttpResponse(dumps(body), status=status_code, content_type="application/json")


def server_error_detail(exc=None) -> str:
    # With DEBUG on, say what broke; in production the traceback is in the log only.
    if settings.DEBUG and exc is not None:
        return f"Server error: {exc.__class__.__name__}: {exc}"
    return str(_("Server error. It has been logged; retry later or tell us the time of the request."))


def logged_server_error(request, exc, response):
    """Log `exc` with its traceback as Django logs an unhandled error (`django.request`, so
    whatever watches that logger sees it), and mark `response` logged so Django does not log
    it again without the traceback."""
    log_response("Internal Server Error: %s", request.path, response=response, request=request, exception=exc)
    return response


def django_error_response(request, exc) -> HttpResponse:
    """What a Django exception raised outside DRF means in the API's error shape."""
    if isinstance(exc, Http404):
        return error_response(status_code=404, code="not_found", detail=_("Not found."))
    if isinstance(exc, DjangoPermissionDenied):
        return error_response(status_code=403, code="permission_denied", detail=_("Permission denied."))
    if isinstance(exc, RequestDataTooBig):
        return error_response(status_code=413, code=PayloadTooLarge.default_code, detail=PayloadTooLarge.default_detail)
    if isinstance(exc, SuspiciousOperation):
        return error_response(status_code=400, code="bad_request", detail=_("Bad request."))
    response = error_response(status_code=500, code="server_error", detail=server_error_detail(exc))
    return logged_server_error(request, exc, response)


def _answer_in_json(request):
    # An endpoint whose renderer is not JSON (the schema's YAML) still reports its errors in
    # the API's JSON shape; the browsable API shows them in its page, as JSON.
    renderer = getattr(request, "accepted_renderer", None)
    if request is not None and (renderer is None or renderer.format not in ("json", "api")):
        request.accepted_renderer, request.accepted_media_type = FastJSONRenderer(), FastJSONRenderer.media_type


def exception_handler(exc, context):
    _answer_in_json(context.get("request"))
    if isinstance(exc, RowsInvalid):
        rows = {str(index): {(NON_FIELD if k == "__all__" else k): v for k, v in fields.items()}
                for index, fields in exc.rows.items()}  # fmt: skip
        body = error_body(status_code=400, code="invalid", detail=exc.messages[0], rows=rows)
        return Response(body, status=400)
    if isinstance(exc, DjangoValidationError):
        fields = django_error_fields(exc)
        return Response(error_body(status_code=400, code="invalid", detail=_("Invalid input."), fields=fields), 400)
    if isinstance(exc, DataError):
        # A value the database cannot hold (a number out of range): the client's input, not our bug.
        return Response(error_body(status_code=400, code="invalid", detail=_("A value is out of range.")), 400)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, SuspiciousOperation):
        exc = exceptions.ParseError(_("Bad request."))

    response = drf_exception_handler(exc, context)
    if response is None:
        # Our bug, not the client's: the error shape all the same, and the traceback logged.
        set_rollback()
        body = error_body(status_code=500, code="server_error", detail=server_error_detail(exc))
        return logged_server_error(context["request"], exc, Response(body, status=500))
    if isinstance(exc, exceptions.ValidationError):
        body = error_body(
            status_code=response.status_code,
            code=getattr(exc, "error_code", "invalid"),
            detail=_("Invalid input."),
            fields=flatten_errors(exc.detail),
        )
    else:
        detail = exc.detail if isinstance(exc, exceptions.APIException) else str(exc)
        codes = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
        body = error_body(
            status_code=response.status_code,
            code=codes if isinstance(codes, str) else "error",
            detail=detail if isinstance(detail, str) else flatten_errors(detail).get(NON_FIELD, [""])[0],
        )
    response.data = body
    return response
