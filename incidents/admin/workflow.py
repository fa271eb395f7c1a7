"""The incident page's workflow: its buttons (the incident's own, then every contribution
registered on incidents.admin.page.incident_page), the transition and acknowledge pages and
the list's actions. Every state change goes through incidents.services."""

from django.contrib import admin, messages
from django.contrib.admin.options import IS_POPUP_VAR
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse

from .. import domain, services
from ..choices import Status
from ..forms import TransitionForm
from ..kernel.errors import DomainError
from ..selectors import incidents_visible_to
from .page import incident_page

TRANSITION_LABELS = {
    Status.TRIAGED: "Mark triaged",
    Status.INVESTIGATING: "Start investigating",
    Status.CONTAINED: "Mark contained",
    Status.RESOLVED: "Resolve",
    Status.CLOSED: "Close",
    Status.CANCELLED: "Cancel (false alarm)",
}


class IncidentWorkflowMixin:
    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context["incident_actions"] = self._actions_for(request, obj)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _actions_for(self, request, obj):
        """The incident's own buttons (for those who may change it), then every other
        contribution registered on incident_page, in its order."""
        return self._own_actions(request, obj) + incident_page.buttons(request, obj)

    def _own_actions(self, request, obj):
        if not self.has_change_permission(request, obj):
            return []
        actions = []
        if obj.acknowledged_at is None and obj.status in domain.OPEN_STATUSES:
            actions.append(
                ("Acknowledge", reverse("admin:incidents_incident_acknowledge", args=[obj.pk]))
            )
        for status in domain.allowed_transitions(obj.status):
            label = TRANSITION_LABELS.get(status, status)
            if domain.is_reopen(obj.status, status):
                label = "Reopen (recurrence)"
            actions.append(
                (label, reverse("admin:incidents_incident_transition", args=[obj.pk, status]))
            )
        return actions

    # transition and acknowledge pages --------------------------------------------------
    def get_urls(self):
        custom = [
            path(
                "<int:object_id>/transition/<str:to_status>/",
                self.admin_site.admin_view(self.transition_view),
                name="incidents_incident_transition",
            ),
            path(
                "<int:object_id>/acknowledge/",
                self.admin_site.admin_view(self.acknowledge_view),
                name="incidents_incident_acknowledge",
            ),
        ]
        return incident_page.urls(self) + custom + super().get_urls()

    def get_actions(self, request):
        actions = super().get_actions(request)
        if self.actions is None or IS_POPUP_VAR in request.GET:
            return actions
        for action in incident_page.bulk_actions(request):
            actions[action.name] = (action.func, action.name, action.description)
        return actions

    def _get_for_action(self, request, object_id):
        obj = incidents_visible_to(request.user).filter(pk=object_id).first()
        if obj is None:
            raise Http404("No such incident.")
        if not self.has_change_permission(request, obj):
            raise PermissionDenied
        return obj

    def _change_url(self, obj):
        return reverse("admin:incidents_incident_change", args=[obj.pk])

    def transition_view(self, request, object_id, to_status):
        obj = self._get_for_action(request, object_id)
        if to_status not in Status.values:
            raise Http404("Unknown status.")
        form = TransitionForm(
            request.POST if request.method == "POST" else None,
            to_status=to_status,
            from_status=obj.status,
        )
        allowed = to_status in domain.allowed_transitions(obj.status)
        if request.method == "POST" and allowed and form.is_valid():
            try:
                with transaction.atomic():
                    services.incident_transition(
                        incident=obj,
                        to_status=to_status,
                        user=request.user,
                        **form.cleaned_data,
                    )
            except DomainError as error:
                form.add_error(error.field if error.field in form.fields else None, error.message)
            else:
                self.message_user(
                    request,
                    f"{obj.reference} is now {Status(to_status).label.lower()}.",
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(self._change_url(obj))
        refusal = ""
        if not allowed:
            refusal = (
                f"An incident that is {obj.get_status_display().lower()} cannot move to "
                f"{Status(to_status).label.lower()}. Allowed: "
                + (", ".join(domain.allowed_transitions(obj.status)) or "none (it is final)")
            )
        context = {
            **self.admin_site.each_context(request),
            "title": f"{TRANSITION_LABELS.get(to_status, to_status)}: {obj.reference}",
            "opts": self.model._meta,
            "original": obj,
            "form": form,
            "to_status": Status(to_status),
            "allowed": allowed,
            "refusal": refusal,
            "change_url": self._change_url(obj),
        }
        status = 409 if not allowed else (400 if request.method == "POST" else 200)
        return TemplateResponse(
            request, "admin/incidents/incident/transition.html", context, status=status
        )

    def acknowledge_view(self, request, object_id):
        obj = self._get_for_action(request, object_id)
        if request.method == "POST":
            try:
                services.incident_acknowledge(incident=obj, user=request.user)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, f"{obj.reference} acknowledged.", messages.SUCCESS)
            return HttpResponseRedirect(self._change_url(obj))
        context = {
            **self.admin_site.each_context(request),
            "title": f"Acknowledge {obj.reference}",
            "opts": self.model._meta,
            "original": obj,
            "change_url": self._change_url(obj),
        }
        return TemplateResponse(request, "admin/incidents/incident/acknowledge.html", context)

    @admin.action(description="Acknowledge selected incidents", permissions=["change"])
    def acknowledge_selected(self, request, queryset):
        done, skipped = 0, []
        for incident in queryset:
            try:
                services.incident_acknowledge(incident=incident, user=request.user)
                done += 1
            except DomainError:
                skipped.append(incident.reference)
        self.message_user(request, f"Acknowledged {done} incident(s).", messages.SUCCESS)
        if skipped:
            self.message_user(
                request,
                "Already acknowledged or not open: " + ", ".join(skipped),
                messages.WARNING,
            )
