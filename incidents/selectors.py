"""Reads shared by admin, API and exports."""

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from .choices import Category, ResponseRole, StaffGroup
from .models import Incident, RoleAssignment


def _is_active_staff(user) -> bool:
    return bool(
        user and user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser)
    )


def user_sees_all_security(user) -> bool:
    if not _is_active_staff(user):
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name=StaffGroup.SECURITY_LEAD).exists()


def incidents_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """Security incidents are need-to-know: superusers, the Security Lead group and the
    people holding a role on that incident. Everything else is visible to staff."""
    queryset = Incident.objects.all() if queryset is None else queryset
    if not _is_active_staff(user):
        return queryset.none()
    if user_sees_all_security(user):
        return queryset
    holds_role = RoleAssignment.objects.filter(
        incident=OuterRef("pk"), user=user, relieved_at__isnull=True
    )
    return queryset.alias(_holds_role=Exists(holds_role)).filter(
        ~Q(category=Category.SECURITY) | Q(_holds_role=True)
    )


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
