"""Response roles on an incident: assign (the previous holder is relieved), relieve, and
set several at once."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from .. import domain
from ..choices import ResponseRole, TimelineKind
from ..kernel.errors import DomainError
from ..kernel.history import history_save
from ..models import Incident, RoleAssignment
from .common import lock_incident, now_or_current, timeline_write, validate_choice


@transaction.atomic
def incident_assign_role(
    *, incident: Incident | int, role: str, assignee, user, now: datetime | None = None
) -> RoleAssignment:
    """Give `role` to `assignee`; the previous holder is relieved (kept as history)."""
    now = now_or_current(now)
    validate_choice(role, ResponseRole, "role", "response role")
    if assignee is None or not assignee.is_active:
        raise DomainError("Choose an active user for the role.", field="user")
    locked = lock_incident(incident)
    if locked.status in domain.FINAL_STATUSES:
        raise DomainError(f"Roles cannot change on a {locked.status} incident.")
    label = ResponseRole(role).label
    current = RoleAssignment.objects.filter(
        incident=locked, role=role, relieved_at__isnull=True
    ).first()
    if current is not None:
        if current.user_id == assignee.pk:
            raise DomainError(f"{assignee.get_username()} is already the {label}.", field="user")
        current.relieved_at = now
        history_save(current, user=user, reason=f"Handed over to {assignee.get_username()}")
        timeline_write(
            locked,
            kind=TimelineKind.ROLE_RELIEVED,
            text=f"{current.user.get_username()} relieved as {label}",
            user=user,
            at=now,
        )
    assignment = RoleAssignment(
        incident=locked, role=role, user=assignee, assigned_at=now, assigned_by=user
    )
    history_save(assignment, user=user, reason=f"{label} assigned")
    timeline_write(
        locked,
        kind=TimelineKind.ROLE_ASSIGNED,
        text=f"{assignee.get_username()} is {label}",
        user=user,
        at=now,
    )
    return assignment


@transaction.atomic
def incident_relieve_role(
    *, assignment: RoleAssignment | int, user, now: datetime | None = None
) -> RoleAssignment:
    now = now_or_current(now)
    pk = assignment.pk if isinstance(assignment, RoleAssignment) else assignment
    assignment = RoleAssignment.objects.select_related("user").get(pk=pk)
    locked = lock_incident(assignment.incident_id)
    if locked.status in domain.FINAL_STATUSES:
        raise DomainError(f"Roles cannot change on a {locked.status} incident.")
    assignment = RoleAssignment.objects.select_for_update().select_related("user").get(pk=pk)
    if assignment.relieved_at is not None:
        raise DomainError("That role assignment has already ended.")
    assignment.relieved_at = now
    label = ResponseRole(assignment.role).label
    history_save(assignment, user=user, reason=f"{label} relieved")
    timeline_write(
        locked,
        kind=TimelineKind.ROLE_RELIEVED,
        text=f"{assignment.user.get_username()} relieved as {label}",
        user=user,
        at=now,
    )
    return assignment


@transaction.atomic
def incident_roles_set(
    *, incident: Incident | int, roles: dict, user, now: datetime | None = None
) -> None:
    """Make each role in `roles` held by the given user (None: nobody). Roles not in
    `roles` are left as they are; a role already held by that user is not touched."""
    now = now_or_current(now)
    locked = lock_incident(incident)
    current = {
        assignment.role: assignment
        for assignment in RoleAssignment.objects.filter(incident=locked, relieved_at__isnull=True)
    }
    for role in ResponseRole.values:
        if role not in roles:
            continue
        assignee, holder = roles[role], current.get(role)
        if holder is not None and assignee is not None and holder.user_id == assignee.pk:
            continue
        if locked.status in domain.FINAL_STATUSES and (holder or assignee):
            raise DomainError(f"Roles cannot change on a {locked.status} incident.")
        if assignee is None:
            if holder is not None:
                incident_relieve_role(assignment=holder.pk, user=user, now=now)
            continue
        incident_assign_role(incident=locked.pk, role=role, assignee=assignee, user=user, now=now)
