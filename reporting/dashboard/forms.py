"""Filter forms of the dashboard and the quarterly report (GET forms: bad input is a form
error on the page, never a 500)."""

from datetime import date, datetime, timedelta

from django import forms

from ..kpis.forms import KpiQueryForm
from ..preparedness.selectors import quarter_bounds
from . import domain


class KpiFilterForm(KpiQueryForm):
    """The KPI query grammar (reporting.kpis.forms, the API's own), with the dashboard's
    defaults: the last 12 months, shown in the inputs as they apply, and a breakdown."""

    def __init__(self, data, *, now: datetime, **kwargs):
        default_from, default_to = domain.default_range(now.date())
        # Always bound: an empty GET means the defaults, shown in the inputs as they apply.
        data = data.copy()
        for name, default in (("from", default_from), ("to", default_to)):
            if not data.get(name):
                data[name] = default.isoformat()
        super().__init__(data, now=now, options=("group_by",), **kwargs)
        self.fields["group_by"].label = "Breakdown by"

    def clean_to(self):
        # The charts need the day after `to` and its month: keep clear of date.max.
        to = self.cleaned_data["to"]
        day = to.date() if isinstance(to, datetime) else to
        if day is not None and day >= date.max - timedelta(days=1):
            raise forms.ValidationError("Choose an earlier date.")
        return to


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
