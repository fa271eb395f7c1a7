"""Admin forms of the preparedness area: they validate what the services will be asked to
do, so a bad entry becomes a form error rather than a refused save."""

from django import forms
from django.utils import timezone

from incidents.kernel.valid_choices import ValidChoicesFormMixin
from incidents.models import ContactPoint

from . import domain
from .choices import ReviewOutcome
from .models import Drill, ProcedureReview, TrainingRecord
from .services import training_validity_months


class ProcedureReviewForm(ValidChoicesFormMixin, forms.ModelForm):
    class Meta:
        model = ProcedureReview
        fields = ["quarter", "reviewer", "due_on", "procedure_version", "outcome", "changes_made"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "due_on" in self.fields:
            self.fields["due_on"].required = False
            self.fields["due_on"].help_text = "Empty: the last day of the quarter's first month."
        if "outcome" in self.fields:
            self.fields["outcome"].help_text = "Choosing an outcome completes the review."

    def clean_quarter(self):
        quarter = self.cleaned_data["quarter"].strip().upper()
        try:
            domain.parse_quarter(quarter)
        except ValueError as error:
            raise forms.ValidationError(str(error)) from None
        return quarter

    def clean(self):
        data = super().clean()
        quarter = data.get("quarter") or (self.instance.quarter if self.instance.pk else None)
        if "due_on" in self.fields and not data.get("due_on") and quarter:
            data["due_on"] = domain.review_due_on(quarter)
        outcome, changes = data.get("outcome"), (data.get("changes_made") or "").strip()
        if outcome == ReviewOutcome.UPDATED and not changes:
            self.add_error("changes_made", "Describe the changes made to the procedures.")
        if changes and not outcome and "outcome" in self.fields:
            self.add_error("outcome", "Choose the outcome to complete the review.")
        if outcome and not self.instance.pk:
            self.add_error("outcome", "Open the review first; complete it afterwards.")
        return data


class DrillForm(ValidChoicesFormMixin, forms.ModelForm):
    class Meta:
        model = Drill
        fields = [
            "title",
            "scenario",
            "incident_type",
            "severity",
            "scheduled_for",
            "facilitator",
            "participants",
            "held_at",
            "evaluation",
            "improvements",
        ]

    def clean(self):
        data = super().clean()
        held_at = data.get("held_at")
        evaluation = (data.get("evaluation") or "").strip()
        if held_at and held_at > timezone.now():
            self.add_error("held_at", "A drill cannot be recorded as held in the future.")
        if held_at and not evaluation:
            self.add_error("evaluation", "Evaluate the drill (how did the response go?).")
        if (evaluation or data.get("improvements")) and not held_at and "held_at" in self.fields:
            self.add_error("held_at", "When was the drill held? (Needed to record the outcome.)")
        if not self.instance.pk and held_at:
            self.add_error("held_at", "Plan the drill first; record the outcome afterwards.")
        scheduled_for = data.get("scheduled_for")
        if (
            scheduled_for
            and self.instance.pk
            and self.instance.auto_scheduled
            and domain.quarter_of(scheduled_for) != self.instance.quarter
        ):
            self.add_error(
                "scheduled_for", f"The {self.instance.quarter} drill must stay in that quarter."
            )
        return data


class TrainingRecordForm(ValidChoicesFormMixin, forms.ModelForm):
    evidence_url = forms.URLField(
        required=False, assume_scheme="https", help_text="Certificate or attendance record."
    )

    class Meta:
        model = TrainingRecord
        fields = [
            "user",
            "topic",
            "completed_on",
            "expires_on",
            "provider",
            "evidence_url",
            "notes",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "expires_on" in self.fields:
            self.fields["expires_on"].required = False
            self.fields[
                "expires_on"
            ].help_text = f"Empty: {training_validity_months()} months after completion."

    def clean(self):
        data = super().clean()
        completed_on = data.get("completed_on")
        if completed_on and completed_on > domain.today_utc(timezone.now()):
            self.add_error("completed_on", "Training cannot be completed in the future.")
        if completed_on and not data.get("expires_on") and "expires_on" in self.fields:
            data["expires_on"] = domain.training_expires_on(
                completed_on, training_validity_months()
            )
        return data


class ContactConfirmForm(ValidChoicesFormMixin, forms.Form):
    # Bounds come from the model so an over-long value is a form error, not a DataError.
    email = forms.EmailField(
        max_length=ContactPoint._meta.get_field("email").max_length,
        required=False,
        help_text="Where incident emails reach you. Empty: your account's email.",
    )
    chat_handle = forms.CharField(
        max_length=ContactPoint._meta.get_field("chat_handle").max_length,
        required=False,
        help_text="Slack member id.",
    )

    def __init__(self, *args, account_email: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.account_email = account_email

    def clean(self):
        data = super().clean()
        if not data.get("email") and not self.account_email:
            self.add_error("email", "Enter an email address: your account has none.")
        return data
