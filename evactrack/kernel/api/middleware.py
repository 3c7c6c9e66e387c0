"""Request plumbing Django leaves to the server: chunked bodies, and errors of plain Django
views under /api/ in the API's error shape."""

import io

from django.conf import settings
from django.core.handlers.wsgi import LimitedStream
from django.http import HttpResponse

from evactrack.kernel.api.exceptions import PayloadTooLarge, django_error_response, error_response
from evactrack.kernel.api.views import is_api


class ChunkedBodyMiddleware:
    """Reads a chunked request body (`Transfer-Encoding: chunked`, no Content-Length) within
    DATA_UPLOAD_MAX_MEMORY_SIZE, so it parses like any other.

    Django reads CONTENT_LENGTH bytes of wsgi.input, none without one: the body looked empty
    and every field "required". gunicorn hands a chunked body over as a stream that ends where
    the body ends (`wsgi.input_terminated`); a server that does not promise that gets 411, as
    reading to the end of its stream could wait on the connection.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        meta = request.META
        if "chunked" in meta.get("HTTP_TRANSFER_ENCODING", "").lower() and not meta.get("CONTENT_LENGTH"):
            if not meta.get("wsgi.input_terminated"):
                return self.refuse(request, 411, "length_required", "Send a Content-Length with the body.")
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            try:
                body = self.read(meta["wsgi.input"], None if limit is None else limit + 1)
            except Exception:  # noqa: BLE001 - the server's own framing errors, of any type
                # The server decodes the chunks as we read: a bad chunk size or a client gone
                # mid-body surfaces here, and is the request's fault, not ours.
                return self.refuse(request, 400, "bad_request", "The chunked body is malformed or incomplete.")
            if limit is not None and len(body) > limit:
                return self.refuse(request, 413, PayloadTooLarge.default_code, PayloadTooLarge.default_detail)
            # As if the client had sent a Content-Length: Django, DRF and the size checks read it.
            meta["CONTENT_LENGTH"] = str(len(body))
            request._stream = LimitedStream(io.BytesIO(body), len(body))
        return self.get_response(request)

    @staticmethod
    def read(stream, most: int | None) -> bytes:
        parts, size = [], 0
        while most is None or size < most:
            part = stream.read(65536 if most is None else min(65536, most - size))
            if not part:
                break
            parts.append(part)
            size += len(part)
        return b"".join(parts)

    @staticmethod
    def refuse(request, status_code: int, code: str, detail) -> HttpResponse:
        if is_api(request):
            return error_response(status_code=status_code, code=code, detail=detail)
        return HttpResponse(str(detail), status=status_code, content_type="text/plain; charset=utf-8")


class ApiExceptionMiddleware:
    """An exception a plain Django view under /api/ lets out answers in the API's error shape,
    DEBUG on or off (DRF views answer their own). Anything unexpected is a 500, logged with
    its traceback."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not is_api(request):
            return None
        return django_error_response(request, exception)
