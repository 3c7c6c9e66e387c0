"""/api/: version 1 of the partner API, its OpenAPI schema and its offline docs."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from evactrack.api import areas, views
from evactrack.api.schema import FormatParameterNegotiation
from reports.api.urls import router as reports_router

# One router for the API root page: areas (here, since they read the status engine) and the
# reports app's own router.
router = DefaultRouter()
router.register("areas", areas.AreaViewSet, basename="area")
router.registry.extend(reports_router.registry)

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
