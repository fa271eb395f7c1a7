"""Admin for communications: templates with a live preview, the send page on the incident
(added to the incident page through incident_page), the record of what was sent, and the
update cadence."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect, JsonResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse

from .. import services as incident_services
from ..choices import StaffGroup, Status
from ..communications import domain as comms_domain
from ..communications.services import (
    communication_send,
    public_wording_missing,
    render_for_incident,
)
from ..kernel.errors import DomainError
from ..kernel.ids import is_id_text
from ..kernel.valid_choices import ValidChoicesFormMixin
from ..models import (
    Audience,
    CommChannel,
    Communication,
    CommunicationCadence,
    CommunicationTemplate,
    Incident,
    TemplateKind,
)
from ..selectors import incidents_visible_to
from .base import IncidentScopedAdminMixin, ReadOnlyAdmin, ReadOnlyHistoryAdmin
from .page import incident_page

PLACEHOLDER_HELP = "Placeholders: " + ", ".join(
    "{" + name + "}" for name in comms_domain.PLACEHOLDERS
)


class CommunicationTemplateForm(ValidChoicesFormMixin, forms.ModelForm):
    class Meta:
        model = CommunicationTemplate
        fields = ["name", "subject", "body"]
        widgets = {"body": forms.Textarea(attrs={"rows": 9, "cols": 80})}
        help_texts = {"body": PLACEHOLDER_HELP}

    def clean(self):
        data = super().clean()
        for name in ("subject", "body"):
            try:
                comms_domain.placeholders_in(data.get(name) or "")
            except comms_domain.TemplateSyntaxProblem as error:
                self.add_error(name, str(error))
        return data


def _preview(request, template_like, incident_pk):
    if not is_id_text(str(incident_pk)):
        return None  # not an id: the caller answers "Choose an incident you can see."
    incident = incidents_visible_to(request.user).filter(pk=incident_pk).first()
    if incident is None:
        return None
    return render_for_incident(template=template_like, incident=incident)


@admin.register(CommunicationTemplate)
class CommunicationTemplateAdmin(ReadOnlyHistoryAdmin):
    fixed_rows = True
    form = CommunicationTemplateForm
    list_display = ["name", "kind", "subject"]
    search_fields = ["name", "subject", "body"]
    change_form_template = "admin/incidents/communicationtemplate/change_form.html"

    def get_urls(self):
        return [
            path(
                "preview/",
                self.admin_site.admin_view(self.preview_view),
                name="incidents_communicationtemplate_preview",
            ),
            *super().get_urls(),
        ]

    @staticmethod
    def recent_incidents(request):
        return incidents_visible_to(request.user).order_by("-detected_at", "-id")[:50]

    def preview_view(self, request):
        """Live preview: the unsaved subject/body rendered from a chosen incident."""
        if request.method != "POST":
            return JsonResponse({"detail": "POST subject, body and incident."}, status=405)
        if not self.has_view_permission(request):
            raise PermissionDenied
        draft = CommunicationTemplate(
            subject=request.POST.get("subject", ""), body=request.POST.get("body", "")
        )
        try:
            rendered = _preview(request, draft, request.POST.get("incident") or 0)
        except comms_domain.TemplateSyntaxProblem as error:
            return JsonResponse({"error": str(error)}, status=400)
        if rendered is None:
            return JsonResponse({"error": "Choose an incident you can see."}, status=400)
        return JsonResponse(
            {"subject": rendered.subject, "body": rendered.body, "missing": rendered.missing}
        )

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["preview_incidents"] = self.recent_incidents(request)
        context["preview_url"] = reverse("admin:incidents_communicationtemplate_preview")
        chosen = request.GET.get("incident")
        if obj is not None and chosen and chosen.isdigit():
            try:
                context["preview"] = _preview(request, obj, int(chosen))
            except comms_domain.TemplateSyntaxProblem:
                context["preview"] = None
            context["preview_incident"] = int(chosen)
        return super().render_change_form(request, context, add, change, form_url, obj)


@admin.register(CommunicationCadence)
class CommunicationCadenceAdmin(ReadOnlyHistoryAdmin):
    fixed_rows = True
    list_display = ["severity", "interval_minutes"]
    list_editable = ["interval_minutes"]

    def get_readonly_fields(self, request, obj=None):
        return ["severity"]


@admin.register(Communication)
class CommunicationAdmin(IncidentScopedAdminMixin, ReadOnlyAdmin):
    list_display = ["sent_at", "incident", "kind", "audience", "channel_list", "subject", "sent_by"]
    list_filter = ["audience", "kind", ("sent_at", admin.DateFieldListFilter)]
    search_fields = ["incident__reference", "subject", "body"]
    list_select_related = ["incident", "sent_by"]
    date_hierarchy = "sent_at"
    show_full_result_count = False

    @admin.display(description="Channels")
    def channel_list(self, obj):
        return ", ".join(CommChannel(c).label for c in obj.channels if c in CommChannel.values)


# --- the send page on the incident ---------------------------------------------------------
class SendCommunicationForm(ValidChoicesFormMixin, forms.Form):
    template = forms.ModelChoiceField(
        queryset=CommunicationTemplate.objects.all(), empty_label=None
    )
    audience = forms.ChoiceField(choices=Audience.choices, widget=forms.RadioSelect)
    channels = forms.MultipleChoiceField(
        choices=CommChannel.choices, widget=forms.CheckboxSelectMultiple
    )
    email_recipients = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text="For the email list: addresses, one per line or comma-separated.",
    )
    eta = forms.CharField(required=False, label="ETA")
    updates = forms.CharField(required=False, label="Updates (where they will be posted)")
    progress = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    next_steps = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    root_cause = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    prevention = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def sender_fields(self) -> dict:
        return {name: self.cleaned_data.get(name, "") for name in comms_domain.SENDER_FIELDS}


def _default_kind(incident: Incident) -> str:
    if incident.status in (Status.RESOLVED, Status.CLOSED):
        return TemplateKind.RESOLUTION
    if not incident.communications.exists():
        return TemplateKind.INITIAL
    return TemplateKind.UPDATE


def send_button(request, incident):
    if request.user.has_perm("incidents.add_communication"):
        return (
            "Send communication",
            reverse("admin:incidents_incident_communicate", args=[incident.pk]),
        )
    return None


def send_urls(model_admin):
    def view(request, object_id):
        return communicate_view(model_admin, request, object_id)

    return [
        path(
            "<int:object_id>/communicate/",
            model_admin.admin_site.admin_view(view),
            name="incidents_incident_communicate",
        )
    ]


class PublicWordingForm(ValidChoicesFormMixin, forms.Form):
    """The customer-facing wording: the only incident text external messages and the
    public status page use."""

    public_title = forms.CharField(
        required=False,
        max_length=200,
        label="Public title",
        help_text="The heading customers see, e.g. “Card payments failing for some customers”.",
    )
    public_summary = forms.CharField(
        required=False,
        label="Public summary",
        widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
        help_text="What customers are told happened (the Summary line).",
    )
    public_impact = forms.CharField(
        required=False,
        label="Public impact",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="What customers may notice (the Impact line).",
    )
    public_resolution = forms.CharField(
        required=False,
        label="Public resolution",
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text="What customers are told was fixed (the Resolution line).",
    )
    loaded_version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, editable: bool = True, **kwargs):
        super().__init__(*args, prefix="wording", **kwargs)
        if not editable:
            for field in self.fields.values():
                field.disabled = True


def may_edit_public_wording(user) -> bool:
    return user.is_active and (
        user.is_superuser or user.groups.filter(name=StaffGroup.COMMUNICATIONS_LEAD).exists()
    )


def _wording_initial(incident: Incident) -> dict:
    return {
        **{name: getattr(incident, name) for name in comms_domain.PUBLIC_FIELDS},
        "loaded_version": incident.version,
    }


def _save_wording(model_admin, request, incident, form) -> bool:
    changed = {name: form.cleaned_data[name].strip() for name in comms_domain.PUBLIC_FIELDS}
    changed = {name: value for name, value in changed.items() if value != getattr(incident, name)}
    if not changed:
        model_admin.message_user(request, "The public wording is unchanged.", messages.INFO)
        return True
    try:
        incident_services.incident_update(
            incident=incident.pk,
            user=request.user,
            expected_version=form.cleaned_data["loaded_version"],
            reason="Public wording updated",
            **changed,
        )
    except DomainError as error:
        form.add_error(error.field if error.field in form.fields else None, error.message)
        return False
    model_admin.message_user(request, "Public wording saved.", messages.SUCCESS)
    return True


def _sendable_problem(form, incident) -> str:
    """Why the chosen message cannot go out as previewed (shown with the preview)."""
    if form.cleaned_data.get("audience") != Audience.EXTERNAL:
        return ""
    missing = public_wording_missing(template=form.cleaned_data["template"], incident=incident)
    return comms_domain.PublicWordingMissing(missing).message if missing else ""


def communicate_view(model_admin, request, object_id):
    incident = incidents_visible_to(request.user).filter(pk=object_id).first()
    if incident is None:
        raise Http404("No such incident.")
    if not request.user.has_perm("incidents.add_communication"):
        raise PermissionDenied
    page_url = reverse("admin:incidents_incident_communicate", args=[incident.pk])
    editable = may_edit_public_wording(request.user)
    saving_wording = request.method == "POST" and "_save_wording" in request.POST
    if saving_wording and not editable:
        raise PermissionDenied
    wording = PublicWordingForm(
        request.POST if saving_wording else None,
        initial=_wording_initial(incident),
        editable=editable,
    )
    initial = {
        "template": CommunicationTemplate.objects.filter(kind=_default_kind(incident)).first(),
        "audience": Audience.INTERNAL,
        "channels": [CommChannel.EMAIL],
    }
    form = SendCommunicationForm(
        request.POST if request.method == "POST" and not saving_wording else None,
        initial=initial,
    )
    preview = None
    problem = ""
    status = 200
    if saving_wording:
        if wording.is_valid() and _save_wording(model_admin, request, incident, wording):
            return HttpResponseRedirect(page_url)
        status = 400
    elif request.method == "POST" and form.is_valid():
        template = form.cleaned_data["template"]
        audience = form.cleaned_data["audience"]
        # Exactly what will be sent to this audience (external: public wording only).
        preview = render_for_incident(
            template=template, incident=incident, fields=form.sender_fields(), audience=audience
        )
        problem = _sendable_problem(form, incident)
        if "_send" in request.POST:
            try:
                with transaction.atomic():
                    communication_send(
                        incident=incident,
                        template=template,
                        audience=audience,
                        channels=form.cleaned_data["channels"],
                        email_recipients=form.cleaned_data["email_recipients"],
                        fields=form.sender_fields(),
                        user=request.user,
                    )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
                status = 400
            else:
                model_admin.message_user(request, f"Sent: {preview.subject}", messages.SUCCESS)
                return HttpResponseRedirect(
                    reverse("admin:incidents_incident_change", args=[incident.pk])
                )
    elif request.method == "POST":
        status = 400
    context = {
        **model_admin.admin_site.each_context(request),
        "title": f"Send a communication: {incident.reference}",
        "opts": model_admin.model._meta,
        "original": incident,
        "form": form,
        "wording": wording,
        "wording_editable": editable,
        "preview": preview,
        "preview_external": bool(preview)
        and form.cleaned_data.get("audience") == Audience.EXTERNAL,
        "preview_problem": problem,
        "change_url": reverse("admin:incidents_incident_change", args=[incident.pk]),
        "sent": incident.communications.select_related("sent_by")[:20],
    }
    return TemplateResponse(
        request, "admin/incidents/incident/communicate.html", context, status=status
    )


def public_wording_panel(request, incident):
    """The incident page's read-only "Public wording" section, with a link to edit it on
    the Send communication page."""
    rows = [
        (label, getattr(incident, name).strip())
        for name, label in comms_domain.PUBLIC_FIELDS.items()
    ]
    edit_url = ""
    if request.user.has_perm("incidents.add_communication"):
        edit_url = (
            reverse("admin:incidents_incident_communicate", args=[incident.pk]) + "#public-wording"
        )
    context = {
        "rows": rows,
        "written": any(text for _, text in rows),
        "edit_url": edit_url,
        "editable": may_edit_public_wording(request.user),
    }
    return ("Public wording", "admin/incidents/incident/public_wording_panel.html", context)


incident_page.add_button(send_button, order=200)
incident_page.add_urls(send_urls)
incident_page.add_panel(public_wording_panel, order=150)
