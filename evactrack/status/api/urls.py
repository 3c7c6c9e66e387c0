"""The status engine's part of the partner API: the areas, each with its current status."""

from rest_framework.routers import SimpleRouter

from evactrack.status.api.views import AreaViewSet

router = SimpleRouter()
router.register("areas", AreaViewSet, basename="area")
