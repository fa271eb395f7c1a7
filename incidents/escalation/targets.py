"""Who holds a matrix position for a given incident, right now."""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Q

from ..choices import ROLE_FOR_POSITION, Position
from ..models import Incident, OnCallShift, PositionHolder
from ..selectors import active_role_holder
from .rules import unique_in_order


def on_call_users(incident: Incident, now: datetime) -> list:
    """Shifts covering `now`: those for an affected service first, then general ones."""
    service_ids = list(incident.affected_services.values_list("pk", flat=True))
    shifts = (
        OnCallShift.objects.filter(starts_at__lte=now, ends_at__gt=now, user__is_active=True)
        .filter(Q(service__isnull=True) | Q(service_id__in=service_ids))
        .select_related("user")
        .order_by("service_id", "starts_at")
    )
    specific = [s.user for s in shifts if s.service_id is not None]
    general = [s.user for s in shifts if s.service_id is None]
    return specific or general


def position_holders(position: str) -> list:
    holder = PositionHolder.objects.filter(position=position).first()
    if holder is None:
        return []
    users = list(holder.users.filter(is_active=True).order_by("username"))
    if holder.group_id:
        users += list(
            get_user_model()
            .objects.filter(groups=holder.group_id, is_active=True)
            .order_by("username")
        )
    return users


def users_for_position(incident: Incident, position: str, now: datetime) -> list:
    role = ROLE_FOR_POSITION.get(position)
    if role:
        holder = active_role_holder(incident, role)
        if holder is not None:
            return [holder]
    if position == Position.ON_CALL_ENGINEER:
        users = on_call_users(incident, now)
        if users:
            return users
    users = position_holders(position)
    if not users and position == Position.ASSIGNED_ENGINEER:
        # Nobody assigned yet: whoever is on call picks it up.
        users = on_call_users(incident, now)
    return users


def resolve_targets(incident: Incident, positions: list[str], now: datetime) -> list:
    """Each person once per level, in the order the positions name them."""
    people = []
    for position in positions:
        people.extend(users_for_position(incident, position, now))
    return unique_in_order(people)
