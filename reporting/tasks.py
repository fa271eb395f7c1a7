"""The Celery tasks of the reporting app, one module per subdomain. Celery's autodiscovery
imports `reporting.tasks`; importing the subpackages' task modules here registers every
task under its own name (reporting.seal_audit, reporting.preparedness.send_reminders, ...)."""

from .audit import tasks as audit_tasks
from .breach import tasks as breach_tasks
from .preparedness import tasks as preparedness_tasks

__all__ = ["audit_tasks", "breach_tasks", "preparedness_tasks"]
