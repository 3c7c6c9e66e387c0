"""The partner API benchmark's URLconf: the project, the floor and the peer."""

from django.urls import include, path

from benchmarks.floor import changes_floor_view, floor_view
from evactrack.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    path("bench/floor/", floor_view),
    path("bench/floor/changes/", changes_floor_view),
    path("bench/peer/", include("benchmarks.peer")),
    *project_urlpatterns,
]
