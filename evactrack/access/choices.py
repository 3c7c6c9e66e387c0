"""Choices of organizations and access: kinds of organization, roles, idempotency states."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Ordered from least to most trusted; a role can do everything the ones before it can."""

    VIEWER = "viewer", _("viewer (reads verified data)")
    PARTNER = "partner", _("partner (submits incidents, edits its own unverified ones)")
    COORDINATOR = "coordinator", _("coordinator (orders, counts, verification, sensitive fields)")
    ADMIN = "admin", _("admin")


ROLE_RANK = {role: rank for rank, role in enumerate(Role.values)}


class IdempotencyState(models.TextChoices):
    IN_FLIGHT = "in_flight", _("in flight")
    DONE = "done", _("done")


class OrganizationKind(models.TextChoices):
    NGO = "ngo", _("non-governmental organization")
    UN = "un", _("UN agency")
    GOVERNMENT = "government", _("government body")
    MEDIA = "media", _("media")
    OTHER = "other", _("other")
