"""What post-mortems add to the incident page (incidents.admin.page.incident_page),
registered from PostmortemsConfig.ready(): the link to the incident's post-mortem, the
section with the post-mortem and the post-incident tasks, and the open work they leave
(incidents.signals_lifecycle.open_work_requested) that closing must account for."""

from django.db.models import F
from django.urls import reverse

from incidents.admin.page import incident_page
from incidents.kernel.durations import format_moment
from incidents.signals_lifecycle import open_work_requested

from .models import OPEN_ACTION_STATUSES, ActionItem, PostIncidentTask, PostMortem

TASK_KIND = "Post-incident task"
ACTION_KIND = "Action item"


def postmortem_button(request, incident):
    postmortem = getattr(incident, "postmortem", None)
    if postmortem is not None and request.user.has_perm("postmortems.view_postmortem"):
        return ("Post-mortem", reverse("admin:postmortems_postmortem_change", args=[postmortem.pk]))
    return None


def postmortem_panel(request, incident):
    """The post-mortem (state, owner, due) and the post-incident tasks, open ones first."""
    if not request.user.has_perm("postmortems.view_postmortem") and not request.user.has_perm(
        "postmortems.view_postincidenttask"
    ):
        return None
    postmortem = (
        PostMortem.objects.filter(incident=incident).select_related("owner", "approved_by").first()
    )
    tasks = list(
        PostIncidentTask.objects.filter(incident=incident)
        .select_related("owner", "done_by")
        .order_by(F("done_at").asc(nulls_first=True), "stage", "order")
    )
    actions = (
        list(postmortem.actions.select_related("owner").order_by("due_date", "pk"))
        if postmortem is not None
        else []
    )
    may_open_tasks = request.user.has_perm("postmortems.view_postincidenttask")
    context = {
        "incident": incident,
        "postmortem": postmortem,
        "postmortem_url": (
            reverse("admin:postmortems_postmortem_change", args=[postmortem.pk])
            if postmortem is not None
            else ""
        ),
        "postmortem_due": format_moment(postmortem.due_at) if postmortem else "",
        "tasks": [
            {
                "text": task.text,
                "stage": task.get_stage_display(),
                "owner": task.owner.get_username() if task.owner else "",
                "due": format_moment(task.due_at),
                "done": task.is_done,
                "done_note": (
                    f"done {format_moment(task.done_at)} by {task.done_by.get_username()}"
                    if task.is_done and task.done_by
                    else ""
                ),
                "url": (
                    reverse("admin:postmortems_postincidenttask_change", args=[task.pk])
                    if may_open_tasks
                    else ""
                ),
            }
            for task in tasks
        ],
        "open_tasks": sum(1 for task in tasks if not task.is_done),
        "actions": [
            {
                "text": action.description,
                "owner": action.owner.get_username(),
                "due": f"{action.due_date:%Y-%m-%d}",
                "state": action.get_status_display(),
                "open": action.is_open,
            }
            for action in actions
        ],
    }
    return ("Post-mortem and post-incident tasks", "postmortems/incident_panel.html", context)


def open_work(sender, incident, **kwargs):
    tasks = PostIncidentTask.objects.filter(incident=incident, done_at__isnull=True).order_by(
        "stage", "order"
    )
    actions = ActionItem.objects.filter(
        postmortem__incident=incident, status__in=OPEN_ACTION_STATUSES
    ).order_by("due_date", "pk")
    work = [(TASK_KIND, f"{task.text} (due {format_moment(task.due_at)})") for task in tasks]
    work += [
        (ACTION_KIND, f"{action.description} (due {action.due_date:%Y-%m-%d})")
        for action in actions
    ]
    return work


def register() -> None:
    incident_page.add_button(postmortem_button, order=300)
    incident_page.add_panel(postmortem_panel, order=300)
    open_work_requested.connect(open_work, dispatch_uid="postmortems.open_work")
