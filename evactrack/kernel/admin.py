"""Admin plumbing shared by every app: saving through the services, and showing their errors.

The Django admin normally writes with `form.save()`. Here every save goes through a service
(HackSoft style: services are the only write path). The catch is that a service can refuse a
value only after every form and inline formset has been validated, when the admin can no
longer show an error. So the last inline formset to validate runs the same service call once
as a dry run inside a savepoint that is always rolled back: whatever the service refuses is
shown on the form, field by field, and nothing is written. Only a clean dry run lets the
admin go on to `save_related`, which makes the real call.
"""

from django.contrib import admin
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db import connection, transaction
from django.forms.models import BaseInlineFormSet
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin


class _DryRun(Exception):
    """Raised inside the savepoint to roll the dry run back."""


class SaveAttempt:
    """One POST of a change form: the validated main form and every inline formset of it."""

    def __init__(self, admin_obj, request, change):
        self.admin = admin_obj
        self.request = request
        self.change = change
        self.form = None
        self.formsets = []

    def check(self, last_formset):
        """Dry-run the service; put its errors on the form fields and block the save."""
        if self.form is None:  # the main form is invalid: the admin shows those errors first
            return
        others = [formset for formset in self.formsets if formset is not last_formset]
        if not all(formset.is_valid() for formset in others) or any(form.errors for form in last_formset.forms):
            return
        try:
            with transaction.atomic():
                self.admin.service_save(self.request, self.form, self.formsets, self.change)
                raise _DryRun
        except _DryRun:
            return
        except ValidationError as error:
            self.report(error)

    def report(self, error):
        leftover = []
        for field, messages in _error_dict(error).items():
            if field != NON_FIELD_ERRORS and field in self.form.fields:
                self.form.add_error(field, messages)
            else:
                label = "" if field == NON_FIELD_ERRORS else f"{field}: "
                leftover += [f"{label}{message}" for message in messages]
        raise ValidationError([_("Nothing was saved: correct the errors shown."), *leftover])


def _error_dict(error):
    if hasattr(error, "error_dict"):
        return {
            field: [message for item in items for message in item.messages] for field, items in error.error_dict.items()
        }
    return {NON_FIELD_ERRORS: error.messages}


class ServiceInlineFormSet(BaseInlineFormSet):
    """An inline formset that, when it is the last one validated, dry-runs the service save."""

    # Read-only inlines on busy pages show the newest rows only; a link leads to the rest.
    row_limit = None

    def __init__(self, *args, save_attempt=None, **kwargs):
        self.save_attempt = save_attempt
        super().__init__(*args, **kwargs)
        if save_attempt is not None:
            save_attempt.formsets.append(self)

    def get_queryset(self):
        queryset = super().get_queryset()
        if self.row_limit is not None and not hasattr(self, "_limited"):
            self._limited = True
            self._queryset = queryset = queryset[: self.row_limit]
        return queryset

    def clean(self):
        super().clean()
        attempt = self.save_attempt
        if attempt is not None and attempt.formsets and attempt.formsets[-1] is self:
            attempt.check(self)


class EstimatedCountPaginator(Paginator):
    """A paginator that does not COUNT(*) a large table on every change-list page.

    Unfiltered lists on PostgreSQL use the planner's row estimate; filtered lists, and every
    list on SQLite, count for real but stop at `count_cap` rows, so a broad filter on a
    million-row table costs a bounded scan instead of a full one.
    """

    count_cap = 10_000

    @cached_property
    def count(self):
        queryset = self.object_list
        query = getattr(queryset, "query", None)
        if query is None:
            return super().count
        if connection.vendor == "postgresql" and not query.where:
            estimate = _postgres_row_estimate(queryset.model._meta.db_table)
            if estimate is not None and estimate > self.count_cap:
                return estimate
        # Unordered: the order would make the database walk the list's index (every row when
        # the filter matches few) instead of the filter's own, seconds at 1,000,000 incidents.
        return queryset.order_by()[: self.count_cap + 1].count()


def _postgres_row_estimate(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [table])
        row = cursor.fetchone()
    return row[0] if row and row[0] >= 0 else None


class ServiceAdminMixin:
    """A model admin whose writes go through `service_save` / `service_delete`.

    Subclasses implement `service_save(request, form, formsets, change)`, which calls a
    service and returns the saved object, and `service_delete(request, obj)` if deletion is
    allowed. Inlines must use `ServiceInlineFormSet` (or a subclass) as their formset.
    """

    # Counting a million incidents on every page costs more than the number is worth.
    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def get_formset_kwargs(self, request, obj, inline, prefix):
        kwargs = super().get_formset_kwargs(request, obj, inline, prefix)
        if request.method == "POST" and issubclass(inline.formset, ServiceInlineFormSet):
            kwargs["save_attempt"] = self._save_attempt(request, change=obj is not None and obj.pk is not None)
        return kwargs

    def _save_attempt(self, request, *, change):
        attempt = getattr(request, "_evactrack_save_attempt", None)
        if attempt is None:
            attempt = SaveAttempt(self, request, change)
            request._evactrack_save_attempt = attempt
        return attempt

    def save_form(self, request, form, change):
        # Called only for a valid main form, before the inline formsets are validated.
        self._save_attempt(request, change=change).form = form
        return form.save(commit=False)

    def save_model(self, request, obj, form, change):
        # Writing happens in save_related, once the inline formsets (citations, targets) are known.
        pass

    def save_related(self, request, form, formsets, change):
        saved = self.service_save(request, form, formsets, change)
        for formset in formsets:
            _describe_changes(formset)
        # The admin logs and redirects with the object it built: give it the saved identity.
        form.instance.pk = saved.pk
        form.instance._state.adding = False
        for name in ("uid", "path", "level"):
            if hasattr(saved, name):
                setattr(form.instance, name, getattr(saved, name))

    def service_save(self, request, form, formsets, change):
        raise NotImplementedError

    def delete_model(self, request, obj):
        self.service_delete(request, obj)

    def delete_queryset(self, request, queryset):
        # One service call per object, so each deletion keeps its history and dirty marks.
        for obj in queryset:
            self.service_delete(request, obj)

    def service_delete(self, request, obj):
        raise NotImplementedError


def _describe_changes(formset):
    """What formset.save() would have recorded, for the admin's change message ("Added citation …")."""
    deleted = [form for form in formset.deleted_forms if form.instance.pk]
    kept = [form for form in formset.forms if form not in deleted and form.has_changed()]
    formset.new_objects = [form.instance for form in kept if form.instance.pk is None]
    formset.changed_objects = [(form.instance, form.changed_data) for form in kept if form.instance.pk is not None]
    formset.deleted_objects = [form.instance for form in deleted]


class ServiceAdmin(ServiceAdminMixin, SimpleHistoryAdmin):
    """A service-backed admin with the model's history (who changed what, when) one click away.

    History is read-only: simple-history's "revert" would write past the services.
    """

    def revert_disabled(self, request, obj=None):
        return True

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        if request.method == "POST":
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows staff look at but never write here: written as part of a fact, by an import or by
    the status engine. Such tables grow with the country: no COUNT(*) of them on every page."""

    show_full_result_count = False
    paginator = EstimatedCountPaginator

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnlyInlineMixin:
    """An inline that only shows rows: the facts are edited on their own pages."""

    extra = 0
    can_delete = False
    show_change_link = True
    formset = ServiceInlineFormSet

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def changed_fields(form, names):
    """The model fields the user changed on this form, with their cleaned values."""
    return {name: form.cleaned_data[name] for name in names if name in form.changed_data}


def form_fields(form, names):
    return {name: form.cleaned_data[name] for name in names if name in form.cleaned_data}


def model_field_names(form):
    """Concrete (non-m2m) model fields present on the form."""
    model = form._meta.model
    concrete = {field.name for field in model._meta.concrete_fields}
    return [name for name in form.fields if name in concrete]


def formset_for(formsets, model):
    for formset in formsets:
        if formset.model is model:
            return formset
    return None


def kept_rows(formset):
    """cleaned_data of each row the user kept (not deleted, not an untouched blank row)."""
    return [form.cleaned_data for form in formset.forms if form.cleaned_data and not form.cleaned_data.get("DELETE")]


def formset_changed(formset):
    return formset is not None and (formset.has_changed() or bool(formset.deleted_forms))
