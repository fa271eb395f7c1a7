"""Reads for the staff home (the admin index): open incidents, mine first, and deliveries
that failed. Need-to-know applies (incidents.selectors.incidents_visible_to)."""

from __future__ import annotations

from django.db.models import Exists, F, OuterRef, QuerySet

from ..choices import DeliveryStatus
from ..domain import OPEN_STATUSES
from ..models import Delivery, Incident, RoleAssignment
from ..selectors import incidents_visible_to


def open_incidents_for(user, *, limit: int = 15) -> QuerySet[Incident]:
    """Open incidents `user` may see: those where the user holds a role first (`mine`),
    then by response deadline (earliest first), then newest."""
    holds_role = RoleAssignment.objects.filter(
        incident=OuterRef("pk"), user_id=user.pk, relieved_at__isnull=True
    )
    return (
        incidents_visible_to(user)
        .filter(status__in=OPEN_STATUSES)
        .annotate(mine=Exists(holds_role))
        .order_by("-mine", F("response_due_at").asc(nulls_last=True), "-detected_at", "-pk")[:limit]
    )


def open_incident_count(user) -> int:
    return incidents_visible_to(user).filter(status__in=OPEN_STATUSES).count()


def failed_deliveries_for(user, *, limit: int = 10) -> QuerySet[Delivery]:
    """Deliveries that gave up, newest first: those of incidents `user` may see, and those
    of no incident."""
    visible = incidents_visible_to(user).values("pk")
    failed = Delivery.objects.filter(status=DeliveryStatus.FAILED)
    if not user.is_superuser:
        failed = failed.filter(incident__isnull=True) | failed.filter(incident__in=visible)
    return failed.select_related("incident").order_by("-created_at", "-pk")[:limit]
