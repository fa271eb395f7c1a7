"""Cursor pagination: stable under inserts, no COUNT (which would also tell a key how many
incidents it cannot see)."""

from rest_framework.pagination import CursorPagination


class IncidentCursorPagination(CursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-detected_at", "-id")


class FixedOrderCursorPagination(CursorPagination):
    """For sub-resources: ignores the view's `?ordering=` (which is the incident list's)."""

    def get_ordering(self, request, queryset, view):
        return tuple(self.ordering)


class TimelineCursorPagination(FixedOrderCursorPagination):
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 500
    ordering = ("at", "id")


class HistoryCursorPagination(FixedOrderCursorPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("history_date", "history_id")
