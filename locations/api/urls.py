from rest_framework.routers import SimpleRouter

from locations.api import views

router = SimpleRouter()
router.register("areas", views.AreaViewSet, basename="area")

urlpatterns = router.urls
