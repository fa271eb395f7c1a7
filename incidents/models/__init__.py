"""Models of the incidents app, one module per area."""

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

__all__ = [
    "ChecklistItem",
    "ChecklistTemplate",
    "ChecklistTemplateItem",
    "Incident",
    "RoleAssignment",
    "Service",
    "SeverityPolicy",
    "TimelineEntry",
]
