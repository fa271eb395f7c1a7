"""Models of the incidents app, one module per area."""

from .alerts import Alert, AlertGroup, RoutingRule, SnsSubscription
from .api import ApiKey, ApiScope, IdempotencyRecord
from .escalation import (
    ContactPoint,
    EscalationEvent,
    EscalationLevel,
    IncidentEscalationStep,
    OnCallShift,
    PositionHolder,
)
from .incident import (
    ChecklistItem,
    ChecklistTemplate,
    ChecklistTemplateItem,
    Incident,
    RoleAssignment,
    Service,
    SeverityPolicy,
    TimelineEntry,
)
from .outbox import Delivery

__all__ = [
    "Alert",
    "AlertGroup",
    "ApiKey",
    "ApiScope",
    "ChecklistItem",
    "ChecklistTemplate",
    "ChecklistTemplateItem",
    "ContactPoint",
    "Delivery",
    "EscalationEvent",
    "EscalationLevel",
    "IdempotencyRecord",
    "Incident",
    "IncidentEscalationStep",
    "OnCallShift",
    "PositionHolder",
    "RoleAssignment",
    "RoutingRule",
    "Service",
    "SeverityPolicy",
    "SnsSubscription",
    "TimelineEntry",
]
