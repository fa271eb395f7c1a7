"""The audit-log export form of the admin."""

from django import forms

from .export import FORMATS
from .tables import history_tables


class AuditExportForm(forms.Form):
    since = forms.DateTimeField(required=False, help_text="UTC, e.g. 2026-01-01 00:00")
    until = forms.DateTimeField(required=False)
    model = forms.ChoiceField(required=False)
    object_id = forms.IntegerField(required=False, min_value=1)
    user = forms.CharField(required=False, help_text="Username")
    incident = forms.CharField(required=False, help_text="Reference, e.g. INC-20261127-134502")
    format = forms.ChoiceField(choices=[(name, name) for name in sorted(FORMATS)], initial="csv")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        labels = sorted({table.tracked_label for table in history_tables()})
        self.fields["model"].choices = [("", "every model"), *[(m, m) for m in labels]]
