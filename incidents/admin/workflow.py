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
from django.utils import timezone

from .. import domain, services
from ..choices import ResponseRole, Status
from ..forms import TransitionForm
from ..kernel.durations import format_moment
from ..kernel.errors import DomainError
from ..selectors import incidents_visible_to
from . import command
from .page import incident_page

ACKNOWLEDGE = "Acknowledge"
TRANSITION_LABELS = {
    Status.TRIAGED: "Mark triaged",
    Status.INVESTIGATING: "Start investigating",
    Status.CONTAINED: "Mark contained",
    Status.RESOLVED: "Resolve",
    Status.CLOSED: "Close",
    Status.CANCELLED: "Cancel (false alarm)",
}
# The moves forward, in lifecycle order: the first one offered is the primary next move.
FORWARD_LABELS = frozenset(
    label for status, label in TRANSITION_LABELS.items() if status != Status.CANCELLED
)


class IncidentWorkflowMixin:
    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(self._command_context(request, obj, context))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _command_context(self, request, obj, context) -> dict:
        """The header band and the sections of the incident command page."""
        now = timezone.now()
        primary, own = self._split_primary(request, obj)
        more = own + incident_page.buttons(request, obj)
        checklist = []
        for inline_admin_formset in context.get("inline_admin_formsets", []):
            if getattr(inline_admin_formset.opts, "page_section", "") == "checklist":
                checklist = command.checklist_groups(inline_admin_formset, obj.status)
        deliveries, delivery_total = command.delivery_rows(obj)
        may_take_roles = (
            self.has_change_permission(request, obj)
            and request.user.has_perm("incidents.add_roleassignment")
            and obj.status not in domain.FINAL_STATUSES
        )
        return {
            "incident_actions": ([primary] if primary else []) + more,
            "primary_action": primary,
            "primary_is_acknowledge": primary is not None and primary[0] == ACKNOWLEDGE,
            "more_actions": more,
            "sla": command.sla_for(obj, now),
            "sla_breached_at": format_moment(obj.sla_breached_at),
            "roles": command.role_slots(obj, request.user),
            "may_take_roles": may_take_roles,
            "next_escalation": command.next_escalation(obj, now),
            "checklist_groups": checklist,
            "timeline_rows": command.timeline_rows(obj),
            "communication_rows": command.communication_rows(obj),
            "delivery_rows": deliveries,
            "delivery_total": delivery_total,
            "panels": incident_page.panels(request, obj),
        }

    def _split_primary(self, request, obj):
        """The primary next move (acknowledge, else the next step forward) and the rest of
        the incident's own moves."""
        own = self._own_actions(request, obj)
        for index, (label, _url) in enumerate(own):
            if label == ACKNOWLEDGE or label in FORWARD_LABELS:
                return own[index], own[:index] + own[index + 1 :]
        return None, own

    def _own_actions(self, request, obj):
        if not self.has_change_permission(request, obj):
            return []
        actions = []
        if obj.acknowledged_at is None and obj.status in domain.OPEN_STATUSES:
            actions.append(
                (ACKNOWLEDGE, reverse("admin:incidents_incident_acknowledge", args=[obj.pk]))
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
            path(
                "<int:object_id>/assign-me/<str:role>/",
                self.admin_site.admin_view(self.assign_me_view),
                name="incidents_incident_assign_me",
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
        open_work = services.incident_open_work(obj) if to_status == Status.CLOSED else []
        if open_work and "reason" in form.fields:
            form.fields["reason"].label = "Why close with this work still open"
            form.fields[
                "reason"
            ].help_text = "Required: kept in the incident's history and timeline."
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
            "open_work": open_work,
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

    def assign_me_view(self, request, object_id, role):
        """Take a response role in one click (a POST from the page's header band)."""
        obj = self._get_for_action(request, object_id)
        if request.method != "POST":
            return HttpResponseRedirect(self._change_url(obj))
        if not request.user.has_perm("incidents.add_roleassignment"):
            raise PermissionDenied
        if role not in ResponseRole.values:
            raise Http404("Unknown role.")
        try:
            services.incident_assign_role(
                incident=obj, role=role, assignee=request.user, user=request.user
            )
        except DomainError as error:
            self.message_user(request, error.message, messages.ERROR)
        else:
            label = ResponseRole(role).label
            self.message_user(request, f"You are the {label} of {obj.reference}.", messages.SUCCESS)
        return HttpResponseRedirect(self._change_url(obj))

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
