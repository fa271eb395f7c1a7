"""The audit-log export form of the admin."""

from django import forms

from incidents.kernel.valid_choices import ValidChoicesFormMixin

from .export import FORMATS
from .tables import history_tables


class AuditExportForm(ValidChoicesFormMixin, forms.Form):
    since = forms.DateTimeField(required=False, help_text="UTC, e.g. 2026-01-01 00:00")
    until = forms.DateTimeField(required=False)
    model = forms.ChoiceField(required=False)
    object_id = forms.IntegerField(required=False, min_value=1)
    user = forms.CharField(required=False, help_text="Username")
    incident = forms.CharField(required=False, help_text="Reference, e.g. INC-20261127-134502")
    format = forms.ChoiceField(choices=[(name, name) for name in sorted(FORMATS)], initial="csv")

    def __init__(self, *args, visible_incidents=None, **kwargs):
        """`visible_incidents`: the incidents the reader may see; a named incident outside
        it is refused like one that does not exist (need-to-know)."""
        super().__init__(*args, **kwargs)
        self.visible_incidents = visible_incidents
        labels = sorted({table.tracked_label for table in history_tables()})
        self.fields["model"].choices = [("", "every model"), *[(m, m) for m in labels]]

    def clean_incident(self):
        reference = self.cleaned_data["incident"].strip()
        visible = self.visible_incidents
        if reference and visible is not None and not visible.filter(reference=reference).exists():
            raise forms.ValidationError("No incident with this reference.")
        return reference
