from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccessConfig(AppConfig):
    """Organizations, their members' roles, API tokens and idempotency records: who may see and
    change what. Its label, "api", is the prefix of its tables (api_membership, api_apitoken, …)."""

    name = "evactrack.access"
    label = "api"
    verbose_name = _("Organizations and access")

    def ready(self):
        # Registers the token scheme with drf-spectacular.
        from evactrack.access import authentication  # noqa: F401
