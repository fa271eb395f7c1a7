"""Keyset cursor pagination: stable under inserts, no COUNT of the rows, and correct however
many rows share a sort value. The incident list also says how many security incidents are
withheld from the caller (need-to-know), in its envelope and an `X-Withheld-Count` header.

DRF's CursorPagination keeps only the first sort field's value in the cursor plus an offset
among equal values, capped at 1,000: sorting by severity (four values) over more than that
many incidents repeated pages. Here the cursor holds every sort field's value and the
primary key, and the next page is `WHERE (fields) > (values)` in the sort's directions.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db.models import Q
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import remove_query_param, replace_query_param

from ..kernel.json_depth import loads_limited
from .visibility import incidents_withheld_from_request

WITHHELD_HEADER = "X-Withheld-Count"


@dataclass(frozen=True)
class SortKey:
    name: str
    descending: bool

    @classmethod
    def parse(cls, text: str) -> "SortKey":
        return cls(text.lstrip("-"), text.startswith("-"))

    def flipped(self) -> "SortKey":
        return SortKey(self.name, not self.descending)

    def order_by(self) -> str:
        return f"-{self.name}" if self.descending else self.name


def keyset_after(keys: list[SortKey], values: list) -> Q:
    """Rows strictly after `values` in the order `keys` sort by: (a > x) or (a = x and b > y)
    or …, each comparison in its key's direction."""
    condition = Q(pk__in=[])  # nothing, the identity of OR
    equal_so_far = Q()
    for key, value in zip(keys, values, strict=True):
        beyond = Q(**{f"{key.name}__{'lt' if key.descending else 'gt'}": value})
        condition |= equal_so_far & beyond
        equal_so_far &= Q(**{key.name: value})
    return condition


def encode_keyset(values: list, *, reverse: bool = False) -> str:
    """The cursor for the rows after (or, reversed, before) the row with these sort values."""
    payload = json.dumps(
        {"k": [_json_value(v) for v in values], "r": reverse}, separators=(",", ":")
    )
    return base64.urlsafe_b64encode(payload.encode("utf-8")).decode("ascii")


class KeysetCursorPagination(CursorPagination):
    invalid_cursor_message = "Invalid cursor."

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        self.page_size = self.get_page_size(request)
        if not self.page_size:
            return None
        self.base_url = request.build_absolute_uri()
        self.ordering = self.get_ordering(request, queryset, view)
        keys = [SortKey.parse(text) for text in self.ordering]
        pk_name = queryset.model._meta.pk.name
        if not any(key.name in (pk_name, "pk") for key in keys):
            # A unique last key makes the order total, so no row sits between two cursors.
            keys.append(SortKey(pk_name, keys[-1].descending if keys else False))
        self.keys = keys

        values, reverse = self.decode_keyset(request, queryset.model, keys)
        walk = [key.flipped() for key in keys] if reverse else keys
        queryset = queryset.order_by(*(key.order_by() for key in walk))
        if values is not None:
            queryset = queryset.filter(keyset_after(walk, values))
        rows = list(queryset[: self.page_size + 1])
        more = len(rows) > self.page_size
        rows = rows[: self.page_size]
        if reverse:
            rows.reverse()
        self.page = rows
        self.has_next = more if not reverse else values is not None
        self.has_previous = values is not None if not reverse else more
        self.first_values = self._values_of(rows[0]) if rows else values
        self.last_values = self._values_of(rows[-1]) if rows else values
        return rows

    def _values_of(self, row) -> list:
        return [_json_value(getattr(row, key.name)) for key in self.keys]

    def decode_keyset(self, request, model, keys):
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is None:
            return None, False
        try:
            raw = loads_limited(base64.urlsafe_b64decode(encoded.encode("ascii")).decode("utf-8"))
            values, reverse = raw["k"], raw["r"]
            if not isinstance(values, list) or len(values) != len(keys):
                raise ValueError("cursor does not match the sort")
            if not isinstance(reverse, bool):
                raise ValueError("bad direction")
            # Values are checked the way the columns would convert them, so a forged cursor
            # is a 404 rather than a database error.
            values = [
                _checked(model._meta.get_field(key.name).to_python(value))
                for key, value in zip(keys, values, strict=True)
            ]
        except (
            OverflowError,
            binascii.Error,
            UnicodeError,
            ValueError,
            TypeError,
            KeyError,
            ValidationError,
            FieldDoesNotExist,
        ):
            raise NotFound(self.invalid_cursor_message) from None
        if any(value is None for value in values):
            raise NotFound(self.invalid_cursor_message)
        return values, reverse

    def _link(self, values, reverse: bool) -> str:
        encoded = encode_keyset(values, reverse=reverse)
        return replace_query_param(self.base_url, self.cursor_query_param, encoded)

    def get_next_link(self):
        if not self.has_next:
            return None
        if not self.page:  # an empty page reached backwards: restart from the beginning
            return remove_query_param(self.base_url, self.cursor_query_param)
        return self._link(self.last_values, reverse=False)

    def get_previous_link(self):
        if not self.has_previous:
            return None
        if not self.page:
            return remove_query_param(self.base_url, self.cursor_query_param)
        return self._link(self.first_values, reverse=True)

    def encode_cursor(self, cursor):  # DRF's own cursors are never made here
        raise NotImplementedError


def _checked(value):
    # Our cursors carry aware datetimes; convert to UTC here because PostgreSQL refuses
    # offsets beyond ±15:59 that Python accepts.
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime in cursor")
        return value.astimezone(UTC)
    return value


def _json_value(value):
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


class IncidentCursorPagination(KeysetCursorPagination):
    """Every page also says how many security incidents the caller may not see (all of
    them, whatever the filters, so a filter cannot probe them): `withheld` in the body and
    the `X-Withheld-Count` header. Never a silent gap."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    ordering = ("-detected_at", "-id")

    def paginate_queryset(self, queryset, request, view=None):
        rows = super().paginate_queryset(queryset, request, view)
        # .none() (superusers, keys with incidents:security) counts without a query.
        self.withheld = incidents_withheld_from_request(request).count()
        return rows

    def get_paginated_response(self, data):
        return Response(
            {
                "next": self.get_next_link(),
                "previous": self.get_previous_link(),
                "withheld": self.withheld,
                "results": data,
            },
            headers={WITHHELD_HEADER: str(self.withheld)},
        )

    def get_paginated_response_schema(self, schema):
        envelope = super().get_paginated_response_schema(schema)
        envelope["required"] = ["withheld", "results"]
        envelope["properties"] = {
            "next": envelope["properties"]["next"],
            "previous": envelope["properties"]["previous"],
            "withheld": {
                "type": "integer",
                "minimum": 0,
                "example": 0,
                "description": (
                    "How many security incidents are not shown to you (need-to-know), "
                    "counted over all of them, not only those your filters would match. "
                    "Also in the X-Withheld-Count header."
                ),
            },
            "results": schema,
        }
        return envelope


class FixedOrderCursorPagination(KeysetCursorPagination):
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
