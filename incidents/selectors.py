"""Reads shared by admin, API and exports."""

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from .choices import Category, ResponseRole, StaffGroup
from .models import Delivery, Incident, RoleAssignment

# Groups that see every security incident: the Security Lead group works on them, the
# Auditor group reads them (its permissions are view-only, see incidents.permissions).
SEES_ALL_SECURITY_GROUPS = (StaffGroup.SECURITY_LEAD, StaffGroup.AUDITOR)


def _is_active_staff(user) -> bool:
    return bool(
        user and user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser)
    )


def user_sees_all_security(user) -> bool:
    if not _is_active_staff(user):
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name__in=SEES_ALL_SECURITY_GROUPS).exists()


def _need_to_know(user) -> dict:
    """Aliases that are true when `user` may see a security incident: a member of a group
    that sees all of them, anyone who holds or held a role on it, anyone paged or notified
    for it (a delivery of that incident addressed to them). Exists subqueries, so the
    visibility filter stays one SQL query whatever the number of rows."""
    user_groups = user.groups.through.objects.filter(
        user_id=user.pk, group__name__in=SEES_ALL_SECURITY_GROUPS
    )
    return {
        "_ntk_group": Exists(user_groups),
        "_ntk_role": Exists(RoleAssignment.objects.filter(incident=OuterRef("pk"), user=user)),
        "_ntk_paged": Exists(Delivery.objects.filter(incident=OuterRef("pk"), recipient=user)),
    }


_MAY_SEE = Q(_ntk_group=True) | Q(_ntk_role=True) | Q(_ntk_paged=True)


def incidents_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """Security incidents are need-to-know: superusers, the Security Lead and Auditor
    groups, anyone who holds or held a role on that incident and anyone paged or notified
    for it. Everything else is visible to staff. One query (no per-row checks)."""
    queryset = Incident.objects.all() if queryset is None else queryset
    if not _is_active_staff(user):
        return queryset.none()
    if user.is_superuser:
        return queryset
    return queryset.alias(**_need_to_know(user)).filter(~Q(category=Category.SECURITY) | _MAY_SEE)


def incidents_withheld_from(user) -> QuerySet:
    """The security incidents `user` may not see (for the "N not shown" notices). All of
    them, never only those matching a search or filter: a count that followed the filters
    would let a person probe what the hidden incidents contain."""
    hidden = Incident.objects.filter(category=Category.SECURITY)
    if not _is_active_staff(user):
        return hidden
    if user.is_superuser:
        return hidden.none()
    return hidden.alias(**_need_to_know(user)).exclude(_MAY_SEE)


def user_can_see_incident(user, incident: Incident) -> bool:
    if incident.category != Category.SECURITY:
        return _is_active_staff(user)
    return incidents_visible_to(user, Incident.objects.filter(pk=incident.pk)).exists()


def active_holder_username(role: str) -> Subquery:
    """Annotation: username of the active holder of `role` on each incident (one query)."""
    return Subquery(
        RoleAssignment.objects.filter(
            incident=OuterRef("pk"), role=role, relieved_at__isnull=True
        ).values("user__username")[:1]
    )


def incident_list_queryset(user) -> QuerySet:
    return incidents_visible_to(user).annotate(
        commander_username=active_holder_username(ResponseRole.INCIDENT_COMMANDER)
    )


def active_role_holder(incident, role: str):
    """The active user holding `role` on the incident, or None."""
    holder = (
        RoleAssignment.objects.filter(incident=incident, role=role, relieved_at__isnull=True)
        .select_related("user")
        .first()
    )
    return holder.user if holder is not None and holder.user.is_active else None


def group_members(group_name: str) -> list:
    """Active members of a staff group, in a stable order."""
    from django.contrib.auth import get_user_model

    return list(
        get_user_model()
        .objects.filter(groups__name=group_name, is_active=True)
        .order_by("username")
    )


def role_holder_or_group(incident, role: str, group_name: str) -> list:
    """Who answers for `role`: the incident's holder, else everyone in the staff group."""
    holder = active_role_holder(incident, role)
    return [holder] if holder is not None else group_members(group_name)
