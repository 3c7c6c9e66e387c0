"""Organizations, who may call the API (memberships, tokens) and what it must remember (idempotency keys).

The link between a person or partner system and an organization, with its role, is a
Membership: one per user. A partner system is a Django user (usually without a password)
holding one or more ApiTokens; staff are users who sign in with a session. Either way the
role and organization come from the user's Membership, so a token can never carry more
rights than its user.
"""

import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evactrack.access.choices import IdempotencyState, OrganizationKind, Role
from evactrack.kernel.db import FieldCheckConstraint, choices_constraint


class Organization(models.Model):
    """An organization that reports facts or runs a partner system."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    kind = models.CharField(_("kind"), max_length=16, choices=OrganizationKind.choices)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]
        # Its table and constraint keep the names they got in the reports app, where it began.
        db_table = "reports_organization"
        constraints = [
            FieldCheckConstraint(
                condition=Q(kind__in=OrganizationKind.values),
                name="reports_organization_kind_valid",
                field="kind",
                violation_error_message=_("Not one of the allowed values."),
            )
        ]

    def __str__(self):
        return self.name


class Membership(models.Model):
    """A user's organization and role in the API."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_membership"
    )
    organization = models.ForeignKey(
        Organization, verbose_name=_("organization"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.VIEWER)

    class Meta:
        verbose_name = _("API membership")
        verbose_name_plural = _("API memberships")
        ordering = ["organization", "user"]
        constraints = [choices_constraint("role", Role.choices)]

    def __str__(self):
        return f"{self.user} — {self.organization} ({self.role})"


def token_digest(raw_key: str) -> str:
    # Keys are 256-bit random strings, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(raw_key.encode()).hexdigest()


class ApiToken(models.Model):
    """A partner system's secret. Only its SHA-256 digest is stored; it expires and can be revoked."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("Which client holds it, e.g. 'cluster dashboard'."))
    # The first characters of the key, shown in the admin so staff can tell tokens apart.
    prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.name} ({self.prefix}…)"

    def is_usable(self, now=None) -> bool:
        # The same rule, as SQL, is the WHERE of evactrack.access.selectors.token_holder (every request).
        now = now or timezone.now()
        return self.revoked_at is None and self.expires_at > now


class IdempotencyRecord(models.Model):
    """A POST made with an Idempotency-Key, and the response it got, kept until `expires_at`."""

    client = models.CharField(_("client"), max_length=64, help_text=_("token:<id> or user:<id>"))
    key = models.CharField(_("key"), max_length=255)
    request_digest = models.CharField(_("request digest"), max_length=64)
    state = models.CharField(_("state"), max_length=16, choices=IdempotencyState.choices)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    location = models.CharField(_("location"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        ordering = ["-created_at"]
        constraints = [
            choices_constraint("state", IdempotencyState.choices),
            models.UniqueConstraint(fields=["client", "key"], name="%(app_label)s_%(class)s_unique_key_per_client"),
            models.CheckConstraint(
                condition=Q(state=IdempotencyState.IN_FLIGHT) | Q(status_code__isnull=False),
                name="%(app_label)s_%(class)s_done_has_status",
            ),
        ]

    def __str__(self):
        return f"{self.client} {self.key} ({self.state})"
