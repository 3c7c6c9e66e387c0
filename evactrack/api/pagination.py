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
