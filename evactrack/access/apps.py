from django.apps import AppConfig, apps
from django.db.models.signals import post_migrate
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

        post_migrate.connect(_install_role_groups, dispatch_uid="evactrack.access.role_groups")


def _install_role_groups(sender, using="default", **kwargs):
    """Once migrate has created every app's permissions: the signal comes once per app, and for
    each app auth's handler (connected earlier) creates its permissions first."""
    from evactrack.access.services import role_groups_install

    last = [config for config in apps.get_app_configs() if config.models_module is not None][-1]
    if sender.label == last.label:
        role_groups_install()
