from django.contrib import admin
from django.urls import include, path

from evactrack import views

urlpatterns = [
    path("health/", views.health, name="health"),
    path("admin/", admin.site.urls),
    path("api/", include("evactrack.api.urls")),
]
