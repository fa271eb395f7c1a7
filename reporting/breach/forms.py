"""Admin forms of the breach records; saving goes through reporting.breach.services."""

from django import forms

from . import domain
from .models import BreachAssessment, NotificationObligation
from .services import ANCHOR_NAMES, FACT_FIELDS, submission_too_early

TIME_FIELDS = tuple(f"{name}_at" for name in ANCHOR_NAMES)
REASON_FIELDS = tuple(f"{name}_reason" for name in ANCHOR_NAMES)


def _fact(clean, value):
    try:
        return clean(value)
    except domain.FactError as error:
        raise forms.ValidationError(str(error)) from None


class BreachAssessmentForm(forms.ModelForm):
    class Meta:
        model = BreachAssessment
        fields = [
            *FACT_FIELDS,
            "regimes",
            *TIME_FIELDS,
            *REASON_FIELDS,
            "high_risk",
            "high_risk_rationale",
        ]
        widgets = {"regimes": forms.CheckboxSelectMultiple}

    def clean_residents_by_state(self):
        return _fact(domain.clean_residents_by_state, self.cleaned_data.get("residents_by_state"))

    def clean_jurisdictions(self):
        return _fact(domain.clean_jurisdictions, self.cleaned_data.get("jurisdictions"))

    def clean(self):
        data = super().clean()
        for name in ANCHOR_NAMES:
            time_field, reason_field = f"{name}_at", f"{name}_reason"
            if time_field not in self.changed_data:
                continue
            reason = (data.get(reason_field) or "").strip()
            unchanged = bool(self.instance.pk) and reason == getattr(self.instance, reason_field)
            if not reason or (unchanged and getattr(self.instance, time_field) is not None):
                self.add_error(reason_field, "Give the reason for this time (it is audited).")
        decided = {"high_risk", "high_risk_rationale"} & set(self.changed_data)
        rationale = (data.get("high_risk_rationale") or "").strip()
        reopened = "high_risk" in self.changed_data and data.get("high_risk") is None
        if decided and (data.get("high_risk") is not None or reopened) and not rationale:
            self.add_error("high_risk_rationale", "A high-risk decision needs its rationale.")
        elif (
            "high_risk" in self.changed_data
            and self.instance.high_risk is not None
            and "high_risk_rationale" not in self.changed_data
        ):
            # The old decision's rationale would be recorded as the reason for the change.
            self.add_error(
                "high_risk_rationale", "Say why the decision changes (replace the rationale)."
            )
        return data


class ObligationForm(forms.ModelForm):
    RECORD_CHOICES = [
        ("", "—"),
        ("submit", "Record the notification as submitted"),
        ("not_required", "Record that it is not required"),
    ]
    record = forms.ChoiceField(choices=RECORD_CHOICES, required=False)
    contents = forms.JSONField(
        required=False,
        help_text="What was notified, per required field key (defaults from the assessment).",
    )

    class Meta:
        model = NotificationObligation
        fields = [
            "record",
            "submitted_at",
            "reference_number",
            "recipient",
            "contents",
            "rationale",
        ]

    def clean_contents(self):
        contents = self.cleaned_data.get("contents")
        if contents in (None, ""):
            return {}
        if not isinstance(contents, dict):
            raise forms.ValidationError(
                'Give an object of field key to value, e.g. {"nature": "…"}.'
            )
        return contents

    def clean(self):
        data = super().clean()
        submitted_at = data.get("submitted_at")
        if data.get("record") == "submit" and submitted_at:
            too_early = submission_too_early(self.instance, submitted_at)
            if too_early:
                self.add_error("submitted_at", too_early)
        if data.get("record") == "not_required" and not (data.get("rationale") or "").strip():
            self.add_error("rationale", "Say why this notification is not required.")
        return data
