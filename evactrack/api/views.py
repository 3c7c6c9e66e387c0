from django.http import JsonResponse

from evactrack.api.exceptions import error_body


def not_found(request, *args, **kwargs):
    return JsonResponse(error_body(status_code=404, code="not_found", detail="No such endpoint."), status=404)
