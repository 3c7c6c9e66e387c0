"""Admin for API access: who belongs to which organization with which role, and their tokens.

Tokens are issued with `manage.py api_token issue` (the raw key is shown once, on the
terminal); here an administrator sees them and revokes them. Writes go through the services.
"""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from evactrack.access.models import ApiToken, Membership, Organization
from evactrack.access.services import membership_remove, membership_set, organization_upsert, token_revoke
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


class MembershipInline(admin.StackedInline):
    """The user's organization and role on the user's page: the role's group comes with it."""

    model = Membership
    fields = ["organization", "role"]
    autocomplete_fields = ["organization"]
    max_num = 1
    can_delete = True
    verbose_name = _("organization and role")
    verbose_name_plural = _("organization and role")


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class UserWithMembershipAdmin(UserAdmin):
    """Django's user page, with the organization and role (which give the role's permissions)."""

    inlines = [MembershipInline]
    list_display = [*UserAdmin.list_display, "membership_role"]
    list_select_related = ["api_membership__organization"]

    @admin.display(description=_("role"), ordering="api_membership__role")
    def membership_role(self, user):
        membership = getattr(user, "api_membership", None)
        return f"{membership.get_role_display()} — {membership.organization}" if membership else "—"

    def save_formset(self, request, form, formset, change):
        if formset.model is not Membership:
            return super().save_formset(request, form, formset, change)
        # Through the service, so the user's group follows the role. The change message reads
        # what the formset saved from these three lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for inline_form in formset.forms:
            if not inline_form.has_changed():
                continue
            data, existed = inline_form.cleaned_data, inline_form.instance.pk is not None
            if data.get("DELETE"):
                if existed:
                    membership_remove(user=form.instance)
                    formset.deleted_objects.append(inline_form.instance)
            elif data.get("organization"):
                membership = membership_set(user=form.instance, organization=data["organization"], role=data["role"])
                if existed:
                    formset.changed_objects.append((membership, inline_form.changed_data))
                else:
                    formset.new_objects.append(membership)


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
