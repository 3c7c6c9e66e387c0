from django.contrib import admin
from django.urls import include, path

from evactrack import views

urlpatterns = [
    path("health/", views.health, name="health"),
    # The admin's language switch posts here (issue 6).
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/", include("evactrack.api.urls")),
]
