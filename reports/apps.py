from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        from locations.signals import areas_regrouped
        from reports.services import incidents_follow_regrouped_areas

        # Incidents keep their area's oblast and raion; the tree tells when those change.
        areas_regrouped.connect(incidents_follow_regrouped_areas, dispatch_uid="reports.follow_areas")
