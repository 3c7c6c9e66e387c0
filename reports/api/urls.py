from rest_framework.routers import SimpleRouter

from reports.api import views

router = SimpleRouter()
router.register("incidents", views.IncidentViewSet, basename="incident")
router.register("orders", views.EvacuationOrderViewSet, basename="order")
router.register("population-counts", views.PopulationCountViewSet, basename="population-count")
router.register("designations", views.DesignationViewSet, basename="designation")
router.register("sources", views.SourceViewSet, basename="source")
router.register("deletions", views.DeletionViewSet, basename="deletion")
router.register("changes", views.ChangeViewSet, basename="change")

urlpatterns = router.urls
