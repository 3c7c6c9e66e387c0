"""django-filter for the API, building only the filters a request names."""

import datetime
import functools

import django_filters
from django import forms
from django.utils.translation import gettext as _
from django_filters.fields import IsoDateTimeField
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework.exceptions import ValidationError


class FilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend whose FilterSet holds only the filters named in the query string.

    A FilterSet deep-copies every filter it declares and builds a form class with all their
    fields on each request; for a list of 100 areas that cost more than the page's query. A
    filter left out of the query string does nothing (empty values are skipped), so building
    only the named ones gives the same rows and the same 400 for a bad value. The schema
    still documents every filter: drf-spectacular reads the full class (get_filterset_class).

    A filter named with an empty value is refused unless it takes free text: django-filter
    would skip it, so `updated_since=` would silently return every row to a client whose
    variable was unset, and the schema (a date-time, a number, a choice) does not allow "".
    """

    def get_filterset(self, request, queryset, view):
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is None:
            return None
        named = frozenset(request.query_params.keys() & filterset_class.base_filters.keys())
        refuse_empty_values(request, filterset_class, named)
        narrowed = _narrowed(filterset_class, named)
        return narrowed(**self.get_filterset_kwargs(request, queryset, view))


def refuse_empty_values(request, filterset_class, named) -> None:
    # The browsable API's filter form submits every field, blank ones too.
    if getattr(getattr(request, "accepted_renderer", None), "format", None) == "api":
        return
    empty = {
        name: [_("Give a value, or leave the parameter out.")]
        for name in sorted(named)
        if filterset_class.base_filters[name].field_class is not forms.CharField
        and "" in request.query_params.getlist(name)
    }
    if empty:
        raise ValidationError(empty)


@functools.lru_cache(maxsize=256)
def _narrowed(filterset_class, named: frozenset):
    """A subclass of `filterset_class` with the filters in `named`, plus any whose values come
    in several parameters (range filters: `<name>_min`, `<name>_after` …), kept in declared order."""
    kept = {
        name: filter_
        for name, filter_ in filterset_class.base_filters.items()
        if name in named or issubclass(filter_.field_class, forms.MultiValueField)
    }
    if len(kept) == len(filterset_class.base_filters):
        return filterset_class
    narrowed = type(filterset_class.__name__, (filterset_class,), {"__module__": filterset_class.__module__})
    # Set after the class exists: django-filter's metaclass recomputes base_filters on creation.
    narrowed.base_filters = kept
    return narrowed


class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time with any offset Python accepts (up to ±23:59), handed to the database in
    UTC: PostgreSQL refuses offsets beyond ±15:59 with an error, and a time whose UTC value falls
    outside years 1–9999 cannot be compared at all."""

    default_error_messages = {"out_of_range": _("Give a time between the years 1 and 9999 (UTC).")}

    def to_python(self, value):
        value = super().to_python(value)
        if value is None:
            return None
        try:
            return value.astimezone(datetime.UTC)
        except OverflowError:
            raise forms.ValidationError(self.error_messages["out_of_range"], code="out_of_range") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField
