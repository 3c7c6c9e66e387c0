"""Issue or revoke a partner API token.

    python manage.py organization create acme --name "ACME relief"   # once, if acme is new
    python manage.py api_token issue --user dashboard --organization acme --role partner --name "cluster dashboard"
    python manage.py api_token revoke --prefix evt_AbCdEfGh
    python manage.py api_token list

The raw key is printed once; only its SHA-256 digest is stored.
"""

import datetime

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from evactrack.access.choices import Role
from evactrack.access.models import ApiToken, Organization
from evactrack.access.services import membership_set, token_issue, token_revoke


class Command(BaseCommand):
    help = "Issue, revoke or list partner API tokens."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        issue = sub.add_parser("issue")
        issue.add_argument("--user", required=True, help="Username; created (without a password) if missing.")
        issue.add_argument("--organization", required=True, help="Organization slug.")
        issue.add_argument("--role", choices=Role.values, default=Role.PARTNER)
        issue.add_argument("--name", required=True, help="Which client holds the token.")
        issue.add_argument("--days", type=int, default=None, help="Validity; default EVACTRACK_TOKEN_DEFAULT_DAYS.")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("--prefix", required=True, help="The token's first 12 characters (see `list`).")
        sub.add_parser("list")

    def handle(self, *args, action, **options):
        if action == "issue":
            self._issue(**options)
        elif action == "revoke":
            tokens = list(ApiToken.objects.filter(prefix=options["prefix"], revoked_at__isnull=True))
            if len(tokens) != 1:
                raise CommandError(f"{len(tokens)} active tokens have this prefix; give the exact 12 characters.")
            token_revoke(token=tokens[0])
            self.stdout.write(f"Revoked {tokens[0]}.")
        else:
            for token in ApiToken.objects.select_related("user__api_membership__organization"):
                membership = getattr(token.user, "api_membership", None)
                state = "revoked" if token.revoked_at else ("expired" if not token.is_usable() else "active")
                where = f"{membership.organization.slug}/{membership.role}" if membership else "no membership"
                self.stdout.write(f"{token.prefix}  {state:8} {token.user.username} ({where}) — {token.name}")

    def _issue(self, *, user, organization, role, name, days, **options):
        if days is not None and days < 1:
            raise CommandError(f"--days must be 1 or more (got {days}); leave it out for the default validity.")
        org = Organization.objects.filter(slug=organization).first()
        if org is None:
            raise CommandError(
                f"No organization with slug {organization!r}: create it first with "
                f'`organization create {organization} --name "…"` (see `organization list`).'
            )
        account, created = get_user_model().objects.get_or_create(username=user)
        if created:
            account.set_unusable_password()
            account.save()
        membership_set(user=account, organization=org, role=role)
        expires_at = timezone.now() + datetime.timedelta(days=days) if days is not None else None
        token, raw_key = token_issue(user=account, name=name, expires_at=expires_at)
        self.stdout.write(f"Token for {account.username} ({org.slug}, {role}), expires {token.expires_at:%Y-%m-%d}:")
        self.stdout.write(raw_key)
