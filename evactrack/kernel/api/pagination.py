"""Cursor pagination: no COUNT(*), no skipped or repeated rows while rows are inserted."""

from django.core.exceptions import ValidationError
from rest_framework import exceptions, pagination

from evactrack.kernel.api.exceptions import InvalidCursor

MAX_PAGE_SIZE = 1000


class CursorPagination(pagination.CursorPagination):
    """Orders on one unique column (each viewset sets `ordering`), so the cursor is a plain
    keyset position and new rows never shift a page a client is reading."""

    page_size = 50
    page_size_query_param = "limit"
    # Big enough for a sync to move fast, small enough that one page fits in a worker's memory.
    max_page_size = MAX_PAGE_SIZE
    ordering = "-id"

    def paginate_queryset(self, queryset, request, view=None):
        self.model = queryset.model
        return super().paginate_queryset(queryset, request, view)

    def decode_cursor(self, request):
        """The cursor, or 400. DRF checks only the cursor's framing (404 when it fails) and puts
        its position into the query as it is: `p=RU` on a list by id raised ValueError (500)."""
        try:
            cursor = super().decode_cursor(request)
        except exceptions.NotFound:
            raise InvalidCursor() from None
        if cursor is not None and cursor.position is not None:
            field = self.model._meta.get_field(self.ordering[0].lstrip("-"))
            try:
                if "\x00" in cursor.position:  # PostgreSQL cannot compare text with NUL
                    raise ValidationError("NUL")
                # Validators too: a position beyond the column's integer range is no position.
                field.run_validators(field.to_python(cursor.position))
            except ValidationError:
                raise InvalidCursor() from None
        return cursor

    def get_ordering(self, request, queryset, view):
        # DRF reads only the paginator's own `ordering` unless the view has an ordering filter:
        # without this, areas (`code`) and deletions (`id`) were paged newest first by id.
        has_ordering_filter = any(hasattr(backend, "get_ordering") for backend in getattr(view, "filter_backends", []))
        declared = getattr(view, "ordering", None)
        if declared and not has_ordering_filter:
            return (declared,) if isinstance(declared, str) else tuple(declared)
        return super().get_ordering(request, queryset, view)
