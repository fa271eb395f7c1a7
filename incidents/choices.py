"""Contract names (ARCHITECTURE.md): integrations, exports and docs rely on these values."""

from django.db import models


class Severity(models.TextChoices):
    P0 = "P0", "P0 — Critical"
    P1 = "P1", "P1 — High"
    P2 = "P2", "P2 — Medium"
    P3 = "P3", "P3 — Low"


class Category(models.TextChoices):
    SECURITY = "security", "Security"
    OPERATIONAL = "operational", "Operational"
    APPLICATION = "application", "Application"


class IncidentType(models.TextChoices):
    UNAUTHORIZED_ACCESS = "unauthorized_access", "Unauthorized access"
    DATA_BREACH = "data_breach", "Data breach"
    MALWARE = "malware", "Malware"
    DDOS = "ddos", "DDoS attack"
    INSIDER_THREAT = "insider_threat", "Insider threat"
    SERVICE_OUTAGE = "service_outage", "Service outage"
    PERFORMANCE_DEGRADATION = "performance_degradation", "Performance degradation"
    INFRASTRUCTURE_FAILURE = "infrastructure_failure", "Infrastructure failure"
    DEPLOYMENT_ISSUE = "deployment_issue", "Deployment issue"
    DATA_CORRUPTION = "data_corruption", "Data corruption"
    SOFTWARE_BUG = "software_bug", "Software bug"
    API_FAILURE = "api_failure", "API failure"
    INTEGRATION_PROBLEM = "integration_problem", "Integration problem"
    UI_ISSUE = "ui_issue", "User interface issue"
    MOBILE_APP_CRASH = "mobile_app_crash", "Mobile app crash"


TYPES_BY_CATEGORY: dict[str, tuple[str, ...]] = {
    Category.SECURITY: (
        IncidentType.UNAUTHORIZED_ACCESS,
        IncidentType.DATA_BREACH,
        IncidentType.MALWARE,
        IncidentType.DDOS,
        IncidentType.INSIDER_THREAT,
    ),
    Category.OPERATIONAL: (
        IncidentType.SERVICE_OUTAGE,
        IncidentType.PERFORMANCE_DEGRADATION,
        IncidentType.INFRASTRUCTURE_FAILURE,
        IncidentType.DEPLOYMENT_ISSUE,
        IncidentType.DATA_CORRUPTION,
    ),
    Category.APPLICATION: (
        IncidentType.SOFTWARE_BUG,
        IncidentType.API_FAILURE,
        IncidentType.INTEGRATION_PROBLEM,
        IncidentType.UI_ISSUE,
        IncidentType.MOBILE_APP_CRASH,
    ),
}
CATEGORY_BY_TYPE: dict[str, str] = {
    type_: category for category, types in TYPES_BY_CATEGORY.items() for type_ in types
}


class Status(models.TextChoices):
    DETECTED = "detected", "Detected"
    TRIAGED = "triaged", "Triaged"
    INVESTIGATING = "investigating", "Investigating"
    CONTAINED = "contained", "Contained"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"
    CANCELLED = "cancelled", "Cancelled"


class DetectionSource(models.TextChoices):
    CLOUDWATCH_ALARM = "cloudwatch_alarm", "CloudWatch alarm"
    APM = "apm", "Application performance monitoring"
    SECURITY_EVENT = "security_event", "Security event detection"
    USER_ERROR_REPORT = "user_error_report", "User error report"
    SUPPORT_TICKET = "support_ticket", "Customer support ticket"
    TEAM_REPORT = "team_report", "Team member report"
    THIRD_PARTY = "third_party", "Third-party notification"
    SOCIAL_MEDIA = "social_media", "Social media monitoring"


AUTOMATED_SOURCES = frozenset(
    {
        DetectionSource.CLOUDWATCH_ALARM,
        DetectionSource.APM,
        DetectionSource.SECURITY_EVENT,
        DetectionSource.USER_ERROR_REPORT,
    }
)


class ResponseRole(models.TextChoices):
    INCIDENT_COMMANDER = "incident_commander", "Incident Commander"
    TECHNICAL_LEAD = "technical_lead", "Technical Lead"
    COMMUNICATIONS_LEAD = "communications_lead", "Communications Lead"
    SECURITY_LEAD = "security_lead", "Security Lead"


class Phase(models.TextChoices):
    TRIAGE = "triage", "Initial triage"
    INVESTIGATION = "investigation", "Investigation"
    CONTAINMENT = "containment", "Containment"
    RESOLUTION = "resolution", "Resolution"
    RECOVERY = "recovery", "Recovery"


class TimelineKind(models.TextChoices):
    CREATED = "created", "Created"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    STATUS_CHANGE = "status_change", "Status change"
    SEVERITY_CHANGE = "severity_change", "Severity change"
    ROLE_ASSIGNED = "role_assigned", "Role assigned"
    ROLE_RELIEVED = "role_relieved", "Role relieved"
    CHECKLIST = "checklist", "Checklist"
    ESCALATION = "escalation", "Escalation"
    UPDATED = "updated", "Details updated"
    NOTE = "note", "Note"
    # Written by the system for other parts of the response (not a person's note).
    COMMUNICATION = "communication", "Communication"
    POST_INCIDENT = "post_incident", "Post-incident"
    COMPLIANCE = "compliance", "Compliance"


class ServiceTier(models.IntegerChoices):
    TIER_1 = 1, "Tier 1 — business critical"
    TIER_2 = 2, "Tier 2 — important"
    TIER_3 = 3, "Tier 3 — supporting"


# Groups created by migration; the names are what people see in the admin.
class StaffGroup(models.TextChoices):
    INCIDENT_COMMANDER = "Incident Commander"
    TECHNICAL_LEAD = "Technical Lead"
    COMMUNICATIONS_LEAD = "Communications Lead"
    SECURITY_LEAD = "Security Lead"
    RESPONDER = "Responder"
    AUDITOR = "Auditor"


# --- escalation and delivery ------------------------------------------------------------
class Position(models.TextChoices):
    """Who the spec's escalation matrix pages."""

    ON_CALL_ENGINEER = "on_call_engineer", "On-call engineer"
    ASSIGNED_ENGINEER = "assigned_engineer", "Assigned engineer"
    TECHNICAL_LEAD = "technical_lead", "Technical Lead"
    TEAM_LEAD = "team_lead", "Team Lead"
    INCIDENT_COMMANDER = "incident_commander", "Incident Commander"
    CTO = "cto", "CTO"
    CEO = "ceo", "CEO"


# Positions that are also response roles: the incident's own holder is paged first.
ROLE_FOR_POSITION = {
    Position.TECHNICAL_LEAD: ResponseRole.TECHNICAL_LEAD,
    Position.INCIDENT_COMMANDER: ResponseRole.INCIDENT_COMMANDER,
    # The engineer assigned to a P2/P3 is whoever leads it technically.
    Position.ASSIGNED_ENGINEER: ResponseRole.TECHNICAL_LEAD,
}


class StopCondition(models.TextChoices):
    RESOLVED = "resolved", "Until resolved"
    ACKNOWLEDGED = "acknowledged", "Until acknowledged"
    CONTAINED = "contained", "Until contained"


class EscalationReason(models.TextChoices):
    SCHEDULED = "scheduled", "On schedule"
    SLA_BREACH = "sla_breach", "Response SLA breached"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat (Slack-compatible webhook)"
    WEBHOOK = "webhook", "Signed webhook"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENDING = "sending", "Sending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


# --- alert ingestion ----------------------------------------------------------------------
class AlertSource(models.TextChoices):
    CLOUDWATCH = "cloudwatch", "CloudWatch (SNS)"
    ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
    GENERIC = "generic", "Generic webhook"


class AlertStatus(models.TextChoices):
    FIRING = "firing", "Firing"
    RESOLVED = "resolved", "Resolved"
    # CloudWatch INSUFFICIENT_DATA: stored, acts on nothing.
    NO_DATA = "no_data", "Insufficient data"
