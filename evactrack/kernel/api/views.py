"""Django-level views of the API: the catch-all 404 and the error handlers for /api/ paths.

DRF views answer their own errors (evactrack.kernel.api.exceptions.exception_handler); these answer
what happens outside them, in the same shape.
"""

from django.views import defaults
from django.views.decorators.csrf import csrf_exempt

from evactrack.kernel.api.exceptions import error_response, server_error_detail

API_PREFIX = "/api/"


def is_api(request) -> bool:
    return request.path_info.startswith(API_PREFIX)


# Exempt: a token client sends no CSRF token, and a write to an unknown path must say 404, not
# CSRF's 403. Nothing is changed here; the real endpoints are DRF views, whose
# SessionAuthentication enforces CSRF for session callers itself.
@csrf_exempt
def not_found(request, *args, **kwargs):
    return error_response(status_code=404, code="not_found", detail="No such endpoint.")


def bad_request(request, exception, template_name=defaults.ERROR_400_TEMPLATE_NAME):
    if is_api(request):
        return error_response(status_code=400, code="bad_request", detail="Bad request.")
    return defaults.bad_request(request, exception, template_name)


def permission_denied(request, exception, template_name=defaults.ERROR_403_TEMPLATE_NAME):
    if is_api(request):
        return error_response(status_code=403, code="permission_denied", detail="Permission denied.")
    return defaults.permission_denied(request, exception, template_name)


def page_not_found(request, exception, template_name=defaults.ERROR_404_TEMPLATE_NAME):
    if is_api(request):
        return error_response(status_code=404, code="not_found", detail="No such endpoint.")
    return defaults.page_not_found(request, exception, template_name)


def server_error(request, template_name=defaults.ERROR_500_TEMPLATE_NAME):
    # Django has logged the error with its traceback before calling this.
    if is_api(request):
        return error_response(status_code=500, code="server_error", detail=server_error_detail())
    return defaults.server_error(request, template_name)
