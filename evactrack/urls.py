from django.contrib import admin
from django.urls import include, path

from evactrack import views

urlpatterns = [
    path("health/", views.health, name="health"),
    # The admin's language switch posts here.
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("evactrack.api_urls")),
]

# Under /api/ Django's own error pages answer in the API's JSON error shape (DEBUG off; with
# DEBUG on, evactrack.kernel.api.middleware.ApiExceptionMiddleware and the catch-all 404 do).
handler400 = "evactrack.kernel.api.views.bad_request"
handler403 = "evactrack.kernel.api.views.permission_denied"
handler404 = "evactrack.kernel.api.views.page_not_found"
handler500 = "evactrack.kernel.api.views.server_error"
