"""Organizations that report facts and hold memberships."""

from django.contrib import admin

from evactrack.admin import ServiceAdminMixin
from reports.models import Organization
from reports.services import organization_upsert


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
