from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StatusConfig(AppConfig):
    name = "evactrack.status"
    label = "status"
    verbose_name = _("Area status")

    def ready(self):
        # Register, for every new SQLite connection, hashtext() and the real parameter limit.
        from evactrack.status import compute, fingerprint  # noqa: F401
