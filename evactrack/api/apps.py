from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "evactrack.api"
    label = "api"
    verbose_name = _("Partner API")

    def ready(self):
        # Registers the token scheme with drf-spectacular.
        from evactrack.api import schema  # noqa: F401
