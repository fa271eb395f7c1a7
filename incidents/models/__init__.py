"""Models of the incidents app, one module per area."""

from .alerts import Alert, AlertGroup, RoutingRule, SnsSubscription
from .api import ApiKey, ApiScope, IdempotencyRecord
from .clocks import ReminderClock
from .communications import (
    Audience,
    CommChannel,
    Communication,
    CommunicationCadence,
    CommunicationTemplate,
    StatusUpdateClock,
    TemplateKind,
)
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
    "Audience",
    "ChecklistItem",
    "ChecklistTemplate",
    "ChecklistTemplateItem",
    "CommChannel",
    "Communication",
    "CommunicationCadence",
    "CommunicationTemplate",
    "ContactPoint",
    "Delivery",
    "EscalationEvent",
    "EscalationLevel",
    "IdempotencyRecord",
    "Incident",
    "IncidentEscalationStep",
    "OnCallShift",
    "PositionHolder",
    "ReminderClock",
    "RoleAssignment",
    "RoutingRule",
    "Service",
    "SeverityPolicy",
    "SnsSubscription",
    "StatusUpdateClock",
    "TemplateKind",
    "TimelineEntry",
]
