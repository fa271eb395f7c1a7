"""The KPI query grammar, one form for the KPI API (reporting/kpis/api.py) and the admin
dashboard (reporting/dashboard/forms.py): the same parameter names, parsing, choices,
window rules and error messages.

    from, to        ISO 8601 date (2026-03-01) or datetime (2026-03-01T09:00:00Z; naive
                    means UTC); `to` as a date is inclusive; at most five years (domain.kpi_window)
    severity, category, type
                    repeated (`?severity=P0&severity=P1`) or comma-separated (`?severity=P0,P1`)
    service         service ids, repeated or comma-separated
    group_by, period, by, format, rows
                    options: only those an endpoint names (`options=`) are read; an empty
                    value means the default
"""

from __future__ import annotations

from datetime import date, datetime

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.utils.dateparse import parse_date

from incidents.choices import Category, IncidentType, Severity
from incidents.kernel.ids import is_id_text
from incidents.models import Service
from incidents.moments import parse_utc_moment

from . import domain, exports

INVALID_MOMENT = "Enter a valid date: an ISO 8601 date or datetime, e.g. 2026-03-01."
# Each option: (choices, default).
OPTIONS = {
    "period": (domain.PERIODS, "month"),
    "by": (domain.FREQUENCY_BYS, "severity"),
    "format": (tuple(exports.FORMATS), "csv"),
    "rows": (exports.ROW_KINDS, "kpis"),
    "group_by": (domain.GROUP_BYS, "severity"),
}


def _not_one_of(value: str, choices) -> str:
    return f'Select a valid choice. "{value}" is not one of {", ".join(choices)}.'


def _split(values) -> list[str]:
    """["P0,P1", "P2"] -> ["P0", "P1", "P2"] (blank items dropped)."""
    if isinstance(values, str):
        values = [values]
    return [item.strip() for value in values or () for item in str(value).split(",")]


class MomentField(forms.Field):
    """An ISO 8601 date or datetime (naive means UTC); None when empty."""

    widget = forms.DateInput(attrs={"type": "date"})

    def to_python(self, value) -> date | datetime | None:
        if value in self.empty_values:
            return None
        if isinstance(value, date):
            return value
        if "T" in value or " " in value:
            try:
                return parse_utc_moment(value)
            except ValueError as error:
                raise forms.ValidationError(str(error), code="invalid") from None
        try:
            day = parse_date(value)
        except ValueError:
            day = None
        if day is None:
            raise forms.ValidationError(INVALID_MOMENT, code="invalid")
        return day


class ChoiceListField(forms.MultipleChoiceField):
    """Repeated or comma-separated choices."""

    def to_python(self, value) -> list[str]:
        return [item for item in _split(value) if item]

    def validate(self, value):
        allowed = [str(key) for key, _ in self.choices]
        for item in value:
            if item not in allowed:
                raise forms.ValidationError(_not_one_of(item, allowed), code="invalid_choice")


class ServiceListField(forms.ModelMultipleChoiceField):
    """Repeated or comma-separated service ids; cleans to the Services (a queryset)."""

    default_error_messages = {
        "invalid_pk_value": '"%(pk)s" is not a valid value: expected service ids (integers).',
        "invalid_choice": "Select a valid choice. Unknown service id %(value)s.",
    }

    def clean(self, value):
        items = [item for item in _split(value) if item]
        for item in items:
            # Digits only and within a database integer (not "-1", "²" or 10**30).
            if not is_id_text(item):
                raise forms.ValidationError(
                    self.error_messages["invalid_pk_value"],
                    code="invalid_pk_value",
                    params={"pk": item},
                )
        return super().clean(items)


class OptionField(forms.ChoiceField):
    """One of an option's choices; empty means its default."""

    def __init__(self, choices, default: str, **kwargs):
        self.default = default
        super().__init__(choices=[(c, c.capitalize()) for c in choices], required=False, **kwargs)

    def clean(self, value):
        value = value or self.default
        allowed = [key for key, _ in self.choices]
        if value not in allowed:
            raise forms.ValidationError(_not_one_of(value, allowed), code="invalid_choice")
        return value


class KpiQueryForm(forms.Form):
    """Validated KPI query: cleaned_data has from, to, severity, category, type, service
    (Services), the requested options, and `window` (domain.Window) when valid.
    `options`: which of OPTIONS this form reads, e.g. ("period", "by")."""

    severity = ChoiceListField(
        choices=Severity.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    category = ChoiceListField(
        choices=Category.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    type = ChoiceListField(
        choices=IncidentType.choices,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    service = ServiceListField(
        queryset=Service.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )

    def __init__(self, data, *, now: datetime, options=("group_by",), **kwargs):
        self.now = now
        super().__init__(data, **kwargs)
        # "from" is a Python keyword, so the moments are added here rather than declared.
        self.fields = {
            "from": MomentField(required=False, help_text="First day (UTC, inclusive)"),
            "to": MomentField(required=False, help_text="Last day (UTC, inclusive)"),
            **self.fields,
        }
        for name in OPTIONS:
            if name in options:
                choices, default = OPTIONS[name]
                self.fields[name] = OptionField(choices, default)

    def clean(self):
        data = super().clean()
        if "from" not in self.errors and "to" not in self.errors:
            try:
                data["window"] = domain.kpi_window(
                    start=data.get("from"), end=data.get("to"), now=self.now
                )
            except domain.WindowError as error:
                self.add_error(error.field, error.message)
        return data

    def service_ids(self) -> list[int]:
        return sorted(service.pk for service in self.cleaned_data["service"])

    def first_error(self) -> tuple[str, str]:
        """The first (field, message) in the order of the parameters."""
        errors = self.errors
        for name in (*self.fields, NON_FIELD_ERRORS):
            if name in errors:
                return name, errors[name][0]
        raise ValueError("the form has no errors")
