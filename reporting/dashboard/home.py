"""The reporting parts of the staff home (incidents.admin.site.staff_home): regulatory
notifications overdue or due soon, overdue reviews and contact verifications, and the
links to the KPI dashboard and the quarterly report. Registered by ReportingConfig.ready()."""

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from incidents.admin.site import Panel, PanelRow, staff_home
from incidents.kernel.durations import format_duration

from . import selectors

DUE_SOON = timedelta(hours=24)


def _when(due, now) -> tuple[str, bool]:
    if due <= now:
        return f"overdue by {format_duration(now - due)}", True
    return f"due in {format_duration(due - now)}", False


def attention_panel(request, now):
    """Overdue obligations and reminders."""
    user = request.user
    rows = []
    if user.has_perm("reporting.view_notificationobligation"):
        for obligation in selectors.obligations_needing_attention(user, now=now, within=DUE_SOON):
            when, late = _when(obligation.due_at, now)
            rows.append(
                PanelRow(
                    label=f"{obligation.assessment.incident.reference}: {obligation.stage}",
                    url=reverse(
                        "admin:reporting_breachassessment_change", args=[obligation.assessment_id]
                    ),
                    detail=f"Notify {obligation.recipient} · {when}"
                    if obligation.recipient
                    else when,
                    badge="overdue" if late else "due soon",
                    warn=late,
                )
            )
    today = timezone.localdate(now)
    if user.has_perm("reporting.view_procedurereview"):
        for review in selectors.overdue_reviews(today=today)[:5]:
            rows.append(
                PanelRow(
                    label=str(review),
                    url=reverse("admin:reporting_procedurereview_change", args=[review.pk]),
                    detail=f"was due {review.due_on:%d %b %Y}",
                    badge="overdue",
                    warn=True,
                )
            )
    if user.has_perm("reporting.view_contactverification"):
        see_all = user.has_perm("reporting.view_all_contact_verifications")
        for check in selectors.overdue_contact_verifications(user, today=today, see_all=see_all)[
            :5
        ]:
            rows.append(
                PanelRow(
                    label=str(check),
                    url=reverse("admin:reporting_contactverification_change", args=[check.pk]),
                    detail=f"was due {check.due_on:%d %b %Y}",
                    badge="overdue",
                    warn=True,
                )
            )
    if not rows and not user.has_perm("reporting.view_notificationobligation"):
        return None
    return Panel(
        key="obligations",
        title="Overdue obligations and reminders",
        rows=rows,
        empty="Nothing overdue or due within 24 hours.",
    )


def _may_view_incidents(request) -> bool:
    return request.user.has_perm("incidents.view_incident")


def register() -> None:
    staff_home.add_panel("obligations", attention_panel)
    staff_home.add_link(
        "comply",
        "KPI dashboard",
        "kpis:dashboard",
        "MTTD, MTTA, MTTR, frequency, SLA, customer impact; exports",
        visible=_may_view_incidents,
    )
    staff_home.add_link(
        "comply",
        "Quarterly compliance report",
        "kpis:quarterly",
        "KPIs, breaches and notifications, drills, reviews, training (printable)",
        visible=_may_view_incidents,
    )
