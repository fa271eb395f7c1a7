"""The models of the reporting app, one module per subdomain. Imported here by name so
Django registers them under the app label "reporting" (their tables keep that prefix)."""

from .audit.models import AuditChainHead, AuditCheckpoint, AuditSeal, AuditVerification
from .breach.models import BreachAssessment, NotificationObligation, Regime, RegimeStage
from .preparedness.models import ContactVerification, Drill, ProcedureReview, TrainingRecord

__all__ = [
    "AuditChainHead",
    "AuditCheckpoint",
    "AuditSeal",
    "AuditVerification",
    "BreachAssessment",
    "ContactVerification",
    "Drill",
    "NotificationObligation",
    "ProcedureReview",
    "Regime",
    "RegimeStage",
    "TrainingRecord",
]
