"""Admin of the quarterly contact verifications, with the confirmation page."""

from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from incidents.kernel.errors import DomainError

from .. import domain, services
from ..choices import DutyStatus
from ..forms import ContactConfirmForm
from ..models import ContactVerification
from .common import (
    DutyAdmin,
    DutyStatusFilter,
    GroupFilter,
    QuarterFilter,
    inline_template,
    status_badge,
    utc_today,
)

VIEW_ALL_VERIFICATIONS = "reporting.view_all_contact_verifications"


CONFIRM_TEMPLATE = inline_template(
    """{% extends "admin/base_site.html" %}
{% block content %}
<p>Incident escalation reaches <strong>{{ verification.user }}</strong> at these details.
Check them, correct them if needed, and confirm ({{ verification.quarter }}, due
{{ verification.due_on|date:"Y-m-d" }}).</p>
<form method="post">{% csrf_token %}
  <table>{{ form.as_table }}</table>
  <div class="submit-row">
    <input type="submit" class="default" value="Confirm contact details"></div>
</form>
{% endblock %}"""
)


@admin.register(ContactVerification)
class ContactVerificationAdmin(DutyAdmin):
    list_display = [
        "user",
        "quarter",
        "due_on",
        "status",
        "verified_at",
        "verified_by",
        "confirm_link",
    ]
    list_filter = [DutyStatusFilter, QuarterFilter, GroupFilter]
    list_select_related = ["user", "verified_by"]
    search_fields = ["user__username", "user__email", "user__first_name", "user__last_name"]
    date_hierarchy = "due_on"
    actions = ["confirm_selected"]
    fields = [
        "user",
        ("quarter", "due_on"),
        ("verified_at", "verified_by"),
        "confirmed_contact",
        ("opened_at", "next_reminder_at", "reminders_sent"),
        "confirm_link",
    ]
    readonly_fields = [
        *fields[:1],
        "quarter",
        "due_on",
        "verified_at",
        "verified_by",
        "confirmed_contact",
        "opened_at",
        "next_reminder_at",
        "reminders_sent",
        "confirm_link",
    ]

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.has_perm(VIEW_ALL_VERIFICATIONS):
            return queryset
        return queryset.filter(user=request.user)

    def has_add_permission(self, request):
        return False  # opened each quarter by the schedule (or `manage.py open_quarter`)

    def has_confirm_permission(self, request):
        return self.has_view_permission(request)

    @admin.display(description="Status")
    def status(self, obj):
        value = domain.duty_status(due_on=obj.due_on, done=obj.is_done, today=utc_today())
        return status_badge(value, DutyStatus(value).label)

    @admin.display(description="")
    def confirm_link(self, obj):
        if obj is None or obj.pk is None:
            return ""
        url = reverse("admin:reporting_contactverification_confirm", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, "Re-confirm" if obj.is_done else "Confirm")

    @admin.action(description="Confirm the contact details as they are", permissions=["confirm"])
    def confirm_selected(self, request, queryset):
        now, confirmed, refused = timezone.now(), 0, []
        for verification in queryset.select_related("user"):
            try:
                services.contact_verification_confirm(
                    verification=verification, by=request.user, now=now
                )
                confirmed += 1
            except DomainError as error:
                refused.append(f"{verification.user}: {error.message}")
        if confirmed:
            self.message_user(request, f"Confirmed {confirmed} verification(s).", messages.SUCCESS)
        for message in refused:
            self.message_user(request, f"Not confirmed — {message}", messages.ERROR)

    def get_urls(self):
        return [
            path(
                "<int:object_id>/confirm/",
                self.admin_site.admin_view(self.confirm_view),
                name="reporting_contactverification_confirm",
            ),
            *super().get_urls(),
        ]

    def confirm_view(self, request, object_id):
        verification = (
            self.get_queryset(request).select_related("user").filter(pk=object_id).first()
        )
        if verification is None:
            raise Http404("No such contact verification.")
        user = verification.user
        contact = getattr(user, "contact_point", None)
        initial = {
            "email": contact.email if contact else "",
            "chat_handle": contact.chat_handle if contact else "",
        }
        form = ContactConfirmForm(
            request.POST if request.method == "POST" else None,
            initial=initial,
            account_email=user.email,
        )
        if form.is_bound and form.is_valid():
            try:
                services.contact_verification_confirm(
                    verification=verification,
                    by=request.user,
                    now=timezone.now(),
                    email=form.cleaned_data["email"],
                    chat_handle=form.cleaned_data["chat_handle"],
                )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                self.message_user(
                    request, "Contact details confirmed. Thank you.", messages.SUCCESS
                )
                return HttpResponseRedirect(
                    reverse("admin:reporting_contactverification_changelist")
                )
        context = {
            **self.admin_site.each_context(request),
            "title": f"Confirm contact details — {verification.quarter}",
            "opts": self.model._meta,
            "verification": verification,
            "form": form,
        }
        return TemplateResponse(request, CONFIRM_TEMPLATE, context)
