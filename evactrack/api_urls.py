"""/api/: version 1 of the partner API, its OpenAPI schema and its offline docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from evactrack.kernel.api import views
from evactrack.kernel.api.schema import FormatParameterNegotiation
from evactrack.status.api.urls import router as status_router
from reports.api.urls import router as reports_router

# One router for the API root page, composed of each app's own: the areas with their status
# (the status engine's), then the reports.
router = DefaultRouter()
for app_router in (status_router, reports_router):
    router.registry.extend(app_router.registry)

app_name = "api"
urlpatterns = [
    path("v1/", include(router.urls)),
    # Any other path under /api/ gets a JSON 404 in the API's error shape, not Django's HTML
    # page, whatever the method (the view is exempt from CSRF; see views.not_found).
    re_path(r"^v1/.*$", views.not_found),
    path("schema/", SpectacularAPIView.as_view(content_negotiation_class=FormatParameterNegotiation), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    re_path(r"^.*$", views.not_found),
]
