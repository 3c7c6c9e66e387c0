"""Create or list the organizations that report facts and hold partner API tokens.

    python manage.py organization create acme --name "ACME relief" [--kind ngo]
    python manage.py organization list

A token (`api_token issue --organization SLUG`) needs its organization to exist first.
"""

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from evactrack.access.choices import OrganizationKind
from evactrack.access.models import Organization
from evactrack.access.services import organization_upsert


class Command(BaseCommand):
    help = "Create or list organizations (partners hold API tokens on behalf of one)."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("slug", help="Short stable name, e.g. acme (letters, digits, hyphens).")
        create.add_argument("--name", required=True, help="Full name, unique.")
        create.add_argument("--kind", choices=OrganizationKind.values, default=OrganizationKind.NGO)
        sub.add_parser("list")

    def handle(self, *args, action, **options):
        if action == "create":
            self._create(slug=options["slug"], name=options["name"], kind=options["kind"])
        else:
            for organization in Organization.objects.order_by("slug"):
                self.stdout.write(f"{organization.slug:32} {organization.kind:10} {organization.name}")

    def _create(self, *, slug, name, kind):
        existing = Organization.objects.filter(slug=slug).first()
        if existing is not None:
            if (existing.name, existing.kind) != (name, kind):
                # `create` never renames: a typo must not silently relabel a partner's reports.
                raise CommandError(
                    f"Organization {slug} already exists as {existing.name!r} ({existing.kind}); "
                    "change it in the admin."
                )
            self.stdout.write(f"Organization {slug} already exists ({kind}): {name}; nothing changed.")
            return
        try:
            organization_upsert(slug=slug, name=name, kind=kind)
        except ValidationError as error:
            raise CommandError(f"Organization refused: {_messages(error)}") from error
        self.stdout.write(f"Created organization {slug} ({kind}): {name}.")


def _messages(error: ValidationError) -> str:
    if hasattr(error, "error_dict"):
        return "; ".join(f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items())
    return " ".join(error.messages)
