"""The admin of the reporting app, one module per subdomain; importing them here registers
their model admins (Django's autodiscovery imports `reporting.admin`)."""

from .audit import admin as audit_admin
from .breach import admin as breach_admin
from .preparedness import admin as preparedness_admin

__all__ = ["audit_admin", "breach_admin", "preparedness_admin"]
