"""The spreadsheet workflow of the fact lists: check an upload, import all rows or none; export the list."""

import time
import uuid
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from evactrack.access.policy import child_count_is_small
from reports.admin.access import sees_sensitive
from reports.exporting import csv_response, export_value, xlsx_response
from reports.importing import ImportFileError

IMPORT_MAX_BYTES = 20 * 2**20
IMPORT_ERRORS_SHOWN = 500
EXPORT_FORMAT_PARAM = "_format"


IMPORT_KEEP_SECONDS = 24 * 3600


def _import_path(token):
    folder = Path(settings.VAR_DIR) / "imports"
    folder.mkdir(parents=True, exist_ok=True)
    if not token.isalnum():
        raise PermissionDenied
    return folder / f"{token}.upload"


def _forget_old_uploads():
    """Checked files nobody confirmed within a day are deleted: they may hold sensitive rows."""
    cutoff = time.time() - IMPORT_KEEP_SECONDS
    for upload in (Path(settings.VAR_DIR) / "imports").glob("*.upload"):
        if upload.stat().st_mtime < cutoff:
            upload.unlink(missing_ok=True)


class ImportExportMixin:
    """Spreadsheet import (check first, then import all rows or none) and export of the filtered list.

    The import keeps the uploaded file under VAR_DIR/imports between the check and the import,
    named by a random token that only the uploader's session knows.
    """

    importer = None
    change_list_template = "admin/reports/change_list_import_export.html"

    def get_urls(self):
        prefix = f"{self.model._meta.app_label}_{self.model._meta.model_name}"
        urls = [path("export/", self.admin_site.admin_view(self.export_view), name=f"{prefix}_export")]
        if self.importer is not None:
            urls.append(path("import/", self.admin_site.admin_view(self.import_view), name=f"{prefix}_import"))
        return urls + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_import": self._can_import(request)}
        return super().changelist_view(request, extra_context)

    def _can_import(self, request):
        return self.importer is not None and self.has_add_permission(request) and self.has_change_permission(request)

    # --- import ---

    def import_view(self, request):
        if not self._can_import(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import %(things)s") % {"things": self.model._meta.verbose_name_plural},
            "required_columns": self.importer.required_columns,
            "optional_columns": self.importer.optional_columns,
        }
        if request.method == "POST" and request.POST.get("token"):
            return self._import_confirmed(request, context)
        if request.method == "POST" and request.FILES.get("file"):
            upload = request.FILES["file"]
            if upload.size > IMPORT_MAX_BYTES:
                context["file_error"] = _("The file is larger than %(mb)d MB.") % {"mb": IMPORT_MAX_BYTES // 2**20}
            else:
                _forget_old_uploads()
                token = uuid.uuid4().hex
                content = upload.read()
                _import_path(token).write_bytes(content)
                request.session.setdefault("evactrack_imports", {})[token] = upload.name
                request.session.modified = True
                context.update(self._check(content, upload.name, token))
        return TemplateResponse(request, "admin/reports/import.html", context)

    def _check(self, content, filename, token):
        try:
            check = self.importer(content, filename).check()
        except ImportFileError as error:
            return {"file_error": str(error), "filename": filename}
        return {"check": check, "errors": check.errors[:IMPORT_ERRORS_SHOWN], "token": token, "filename": filename}

    def _import_confirmed(self, request, context):
        token = request.POST["token"]
        filename = request.session.get("evactrack_imports", {}).get(token)
        if not filename or not _import_path(token).exists():
            context["file_error"] = _("This upload has expired; upload the file again.")
            return TemplateResponse(request, "admin/reports/import.html", context)
        content = _import_path(token).read_bytes()
        importer = self.importer(content, filename)
        try:
            check = importer.check()
            count = importer.save(check, actor=request.user) if check.ok else 0
        except ImportFileError as error:
            check, count = None, 0
            context["file_error"] = str(error)
        if count == 0:
            if check is not None:
                context.update({"check": check, "errors": check.errors[:IMPORT_ERRORS_SHOWN], "token": token})
            return TemplateResponse(request, "admin/reports/import.html", context)
        _import_path(token).unlink(missing_ok=True)
        request.session["evactrack_imports"].pop(token, None)
        request.session.modified = True
        # Each imported row's history names the user and the file (its change reason).
        self.message_user(
            request,
            _("Imported %(count)d rows from %(file)s.") % {"count": count, "file": filename},
            messages.SUCCESS,
        )
        opts = self.model._meta
        return HttpResponseRedirect(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))

    # --- export ---

    export_fields: tuple[str, ...] = ()

    def export_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        export_format = request.GET.get(EXPORT_FORMAT_PARAM, "csv")
        # The change list must not see our own parameter, or it would take it for a filter.
        request.GET = request.GET.copy()
        request.GET.pop(EXPORT_FORMAT_PARAM, None)
        changelist = self.get_changelist_instance(request)
        queryset = changelist.get_queryset(request).prefetch_related(None)
        rows = self.export_rows(request, queryset)
        name = f"{self.model._meta.model_name}s-{timezone.localdate().isoformat()}"
        if export_format == "xlsx":
            return xlsx_response(self.export_header(), rows, f"{name}.xlsx")
        return csv_response(self.export_header(), rows, f"{name}.csv")

    def export_header(self):
        return [*self.export_fields, "sources"]

    def export_withheld(self, request, obj) -> set[str]:
        """Columns of this row the user may not see (left empty)."""
        return set()

    def export_rows(self, request, queryset):
        hide_small = not sees_sensitive(request)
        for obj in queryset.prefetch_related("citations__source").iterator(chunk_size=2000):
            withheld = self.export_withheld(request, obj)
            row = ["" if name in withheld else export_value(obj, name) for name in self.export_fields]
            if hide_small:
                # Small child counts identify families: withheld from roles that cannot edit.
                row = [
                    ""
                    if name.startswith("children") and isinstance(value, int) and child_count_is_small(value)
                    else value
                    for name, value in zip(self.export_fields, row, strict=True)
                ]
            row.append("; ".join(f"{c.source.slug} {c.locator}".strip() for c in obj.citations.all()))
            yield row
