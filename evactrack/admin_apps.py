"""The admin app, pointed at our admin site (which adds the dashboard)."""

from django.contrib.admin.apps import AdminConfig


class EvactrackAdminConfig(AdminConfig):
    # A dotted path, so the site module is imported only once the apps are ready.
    default_site = "evactrack.admin_site.EvactrackAdminSite"
