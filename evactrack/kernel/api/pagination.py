"""Cursor pagination: no COUNT(*), no skipped or repeated rows while rows are inserted."""

from django.core.exceptions import ValidationError
from rest_framework import exceptions, pagination

from evactrack.kernel.api.exceptions import InvalidCursor

MAX_PAGE_SIZE = 1000
# `?count=true` counts the matching rows up to this many: counting reads every matching row, and
# the cap keeps that bounded on a list of a million (beyond it the count is a lower bound).
COUNT_MAX = 100_000
COUNT_PARAM = "count"


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
        self.count = matching_rows(queryset, request)
        return super().paginate_queryset(queryset, request, view)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        if self.count is not None:
            response.data["count"] = min(self.count, COUNT_MAX)
            response.data["count_is_lower_bound"] = self.count > COUNT_MAX
        return response

    def get_paginated_response_schema(self, schema):
        paginated = super().get_paginated_response_schema(schema)
        paginated["properties"]["count"] = {
            "type": "integer",
            "description": f"With count=true: the matching rows (all pages), counted up to {COUNT_MAX:,}.",
        }
        paginated["properties"]["count_is_lower_bound"] = {
            "type": "boolean",
            "description": f"With count=true: more than {COUNT_MAX:,} rows match; count says {COUNT_MAX:,}.",
        }
        return paginated

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": COUNT_PARAM,
                "required": False,
                "in": "query",
                "description": f"true: also answer the number of matching rows (counted up to {COUNT_MAX:,}).",
                "schema": {"type": "boolean"},
            },
        ]

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


def matching_rows(queryset, request) -> int | None:
    """The number of rows `?count=true` asks for (at most COUNT_MAX + 1 are counted), or None."""
    value = request.query_params.get(COUNT_PARAM)
    if value is None or value == "false":
        return None
    if value != "true":
        raise exceptions.ValidationError({COUNT_PARAM: ["Give true or false."]})
    return queryset.order_by()[: COUNT_MAX + 1].count()
