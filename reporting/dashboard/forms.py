"""Filter forms of the dashboard and the quarterly report (GET forms: bad input is a form
error on the page, never a 500)."""

from datetime import date, datetime, timedelta

from django import forms

from incidents.choices import Category, IncidentType, Severity
from incidents.models import Service

from ..kpis.domain import GROUP_BYS, WindowError, kpi_window
from ..preparedness.selectors import quarter_bounds
from . import domain


class KpiFilterForm(forms.Form):
    """Field names equal the KPI API's query parameters, so the export links reuse them."""

    severity = forms.MultipleChoiceField(
        choices=Severity.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    category = forms.MultipleChoiceField(
        choices=Category.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    type = forms.MultipleChoiceField(
        choices=IncidentType.choices,
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    service = forms.ModelMultipleChoiceField(
        queryset=Service.objects.order_by("name"),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )
    group_by = forms.ChoiceField(
        choices=[(name, name.capitalize()) for name in GROUP_BYS],
        required=False,
        label="Breakdown by",
    )

    def __init__(self, data, *, now: datetime, **kwargs):
        self.now = now
        default_from, default_to = domain.default_range(now.date())
        # Always bound: an empty GET means the defaults, shown in the inputs as they apply.
        data = data.copy()
        for name, default in (("from", default_from), ("to", default_to)):
            if not data.get(name):
                data[name] = default.isoformat()
        super().__init__(data, **kwargs)
        # "from" is a Python keyword, so the date fields are added here rather than declared.
        self.fields = {
            "from": forms.DateField(
                widget=forms.DateInput(attrs={"type": "date"}),
                help_text="First day (UTC, inclusive)",
            ),
            "to": forms.DateField(
                widget=forms.DateInput(attrs={"type": "date"}),
                help_text="Last day (UTC, inclusive)",
            ),
            **self.fields,
        }

    def clean(self):
        data = super().clean()
        if "from" in self.errors or "to" in self.errors:
            return data
        if data["to"] >= date.max - timedelta(days=1):
            self.add_error("to", "Choose an earlier date.")
            return data
        # The KPI API's own window rules (UTC days, `to` inclusive, at most five years), so
        # the dashboard and its export links cover exactly the same incidents.
        try:
            data["window"] = kpi_window(start=data["from"], end=data["to"], now=self.now)
        except WindowError as error:
            self.add_error(error.field, error.message)
        data["group_by"] = data.get("group_by") or "severity"
        return data


class QuarterForm(forms.Form):
    quarter = forms.CharField(
        max_length=7,
        help_text="e.g. 2026-Q3",
        widget=forms.TextInput(attrs={"placeholder": "2026-Q3", "size": 8}),
    )

    def clean_quarter(self):
        quarter = self.cleaned_data["quarter"].strip().upper()
        try:
            quarter_bounds(quarter)
        except ValueError:
            raise forms.ValidationError("Enter a quarter as YYYY-Qn, e.g. 2026-Q3.") from None
        return quarter
