"""Cursor pagination: no COUNT(*), no skipped or repeated rows while rows are inserted."""

from rest_framework import pagination

MAX_PAGE_SIZE = 1000


class CursorPagination(pagination.CursorPagination):
    """Orders on one unique column (each viewset sets `ordering`), so the cursor is a plain
    keyset position and new rows never shift a page a client is reading."""

    page_size = 50
    page_size_query_param = "limit"
    # Big enough for a sync to move fast, small enough that one page fits in a worker's memory.
    max_page_size = MAX_PAGE_SIZE
    ordering = "-id"

    def get_ordering(self, request, queryset, view):
        # DRF reads only the paginator's own `ordering` unless the view has an ordering filter:
        # without this, areas (`code`) and deletions (`id`) were paged newest first by id.
        has_ordering_filter = any(hasattr(backend, "get_ordering") for backend in getattr(view, "filter_backends", []))
        declared = getattr(view, "ordering", None)
        if declared and not has_ordering_filter:
            return (declared,) if isinstance(declared, str) else tuple(declared)
        return super().get_ordering(request, queryset, view)
