from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatusConfig(AppConfig):
    name = "evactrack.status"
    label = "status"
    verbose_name = _("Area status")

    def ready(self):
        # Registers SQLite's hashtext() for every new connection.
        from evactrack.status import fingerprint  # noqa: F401
