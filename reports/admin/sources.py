"""Sources that facts cite."""

from django.contrib import admin
from django.db import models

from evactrack.kernel.admin import ServiceAdmin, model_field_names
from reports.models import Source
from reports.services import source_upsert


@admin.register(Source)
class SourceAdmin(ServiceAdmin):
    list_display = ("title", "publisher", "published_on", "language", "reliability", "slug")
    list_filter = ("reliability", "language")
    search_fields = ("slug", "title", "publisher", "url")
    # A pasted address without a scheme is a web page: https, as Django 6 will assume.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = (
        "slug",
        "title",
        "publisher",
        "url",
        ("published_on", "published_on_precision"),
        "language",
        "reliability",
        "summary",
    )

    def get_readonly_fields(self, request, obj=None):
        # The slug is how seeds and importers find the source again.
        return ("slug",) if obj is not None else ()

    def service_save(self, request, form, formsets, change):
        data = form.cleaned_data
        slug = form.instance.slug if change else data["slug"]
        fields = {name: data[name] for name in model_field_names(form) if name not in ("slug", "title")}
        source, _created = source_upsert(slug=slug, title=data["title"], actor=request.user, **fields)
        return source

    def has_delete_permission(self, request, obj=None):
        return False  # cited facts point at it (PROTECT)
