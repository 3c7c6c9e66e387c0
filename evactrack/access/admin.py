"""Admin for API access: who belongs to which organization with which role, and their tokens.

Tokens are issued with `manage.py api_token issue` (the raw key is shown once, on the
terminal); here an administrator sees them and revokes them. Writes go through the services.
"""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from evactrack.access.models import ApiToken, Membership, Organization
from evactrack.access.services import membership_set, organization_upsert, token_revoke
from evactrack.kernel.admin import ServiceAdminMixin


@admin.register(Organization)
class OrganizationAdmin(ServiceAdminMixin, admin.ModelAdmin):
    list_display = ("name", "slug", "kind")
    list_filter = ("kind",)
    search_fields = ("name", "slug")

    def get_readonly_fields(self, request, obj=None):
        # The slug is how seeds, importers and memberships find the organization again.
        return ("slug",) if obj is not None else ()

    def service_save(self, request, form, formsets, change):
        data = form.cleaned_data
        slug = form.instance.slug if change else data["slug"]
        organization, _created = organization_upsert(slug=slug, name=data["name"], kind=data["kind"])
        return organization

    def has_delete_permission(self, request, obj=None):
        return False  # incidents and memberships point at it (PROTECT)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role"]
    list_filter = ["role", "organization"]
    search_fields = ["user__username", "organization__name", "organization__slug"]
    list_select_related = ["user", "organization"]
    autocomplete_fields = ["user", "organization"]

    def save_model(self, request, obj, form, change):
        membership_set(user=obj.user, organization=obj.organization, role=obj.role)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix", "user__username"]
    list_select_related = ["user"]
    fields = ["name", "user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # the raw key must be shown once, where it was asked for: `api_token issue`

    def has_delete_permission(self, request, obj=None):
        return False  # revoked, not deleted: last use and revocation stay on record

    @admin.action(description=_("Revoke the selected tokens"), permissions=["change"])
    def revoke(self, request, queryset):
        tokens = [token_revoke(token=token) for token in queryset.filter(revoked_at__isnull=True)]
        count = len(tokens)
        message = ngettext("%(count)d token revoked.", "%(count)d tokens revoked.", count) % {"count": count}
        self.message_user(request, message, messages.SUCCESS)
