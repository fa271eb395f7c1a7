"""Query filters for the incident list (django-filter); invalid values are a 400."""

from datetime import UTC

import django_filters
from django import forms
from django.db.models import Q
from django_filters.fields import IsoDateTimeField
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from ..choices import Category, IncidentType, Severity, Status
from ..kernel.valid_choices import ValidChoicesFormMixin
from ..models import Incident


class FilterForm(ValidChoicesFormMixin, forms.Form):
    """The filters' form: an unknown value names the valid ones (`?severity=P9`)."""

    list_choice_values = True


class StrictBooleanField(forms.Field):
    """`true`/`false` (or 1/0); anything else is an error, not silently "no filter"."""

    def to_python(self, value):
        if value in (None, ""):
            return None
        text = str(value).strip().lower()
        if text in {"true", "1"}:
            return True
        if text in {"false", "0"}:
            return False
        raise forms.ValidationError("Use true or false.", code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class UtcIsoDateTimeField(IsoDateTimeField):
    """ISO 8601, converted to UTC before it reaches SQL (PostgreSQL refuses offsets beyond
    ±15:59, and an out-of-range value must be a 400, not a database error)."""

    def to_python(self, value):
        parsed = super().to_python(value)
        if parsed is None:
            return None
        try:
            return parsed.astimezone(UTC)
        except (OverflowError, ValueError):
            raise forms.ValidationError("Date and time out of range.", code="invalid") from None


class UtcIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcIsoDateTimeField


class IncidentFilter(django_filters.FilterSet):
    # distinct=False: these filter columns of the incident row itself, so no join can
    # duplicate rows, and SELECT DISTINCT over every column is slow on large tables.
    status = django_filters.MultipleChoiceFilter(
        choices=Status.choices, help_text="Repeat to match any of several.", distinct=False
    )
    severity = django_filters.MultipleChoiceFilter(choices=Severity.choices, distinct=False)
    category = django_filters.MultipleChoiceFilter(choices=Category.choices, distinct=False)
    type = django_filters.MultipleChoiceFilter(choices=IncidentType.choices, distinct=False)
    is_drill = StrictBooleanFilter(help_text="true: drills only; false: real incidents only.")
    detected_after = UtcIsoDateTimeFilter(
        field_name="detected_at", lookup_expr="gte", help_text="Detected at or after (ISO 8601)."
    )
    detected_before = UtcIsoDateTimeFilter(
        field_name="detected_at", lookup_expr="lt", help_text="Detected before (ISO 8601)."
    )
    search = django_filters.CharFilter(
        method="filter_search",
        max_length=200,
        help_text="Case-insensitive text in the reference, title or summary.",
    )

    class Meta:
        model = Incident
        fields: list[str] = []
        form = FilterForm

    def filter_search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(reference__icontains=value) | Q(title__icontains=value) | Q(summary__icontains=value)
        )


class StrictOrderingFilter(OrderingFilter):
    """`?ordering=-severity`: an unknown field is a 400 (DRF would silently ignore it).
    The primary key is appended so that the order, and so the cursor, is total."""

    def remove_invalid_fields(self, queryset, fields, view, request):
        valid = {
            name for name, _label in self.get_valid_fields(queryset, view, {"request": request})
        }
        invalid = [term for term in fields if term.lstrip("-") not in valid]
        if invalid:
            raise ValidationError(
                {
                    self.ordering_param: [
                        f"Cannot order by {', '.join(invalid)}. Choose from: "
                        + ", ".join(sorted(valid))
                        + " (prefix - for descending)."
                    ]
                }
            )
        return super().remove_invalid_fields(queryset, fields, view, request)

    def get_ordering(self, request, queryset, view):
        ordering = list(super().get_ordering(request, queryset, view) or [])
        if ordering and not any(term.lstrip("-") in {"id", "pk"} for term in ordering):
            ordering.append("-id" if ordering[0].startswith("-") else "id")
        return ordering
