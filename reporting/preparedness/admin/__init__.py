"""Admin for preparedness (imported by reporting/admin.py), one module per duty: procedure
reviews, drills, training records (with coverage per group) and contact verifications. Every
save goes through reporting.preparedness.services; history is read-only (incidents.admin.base).
Importing the modules registers their model admins."""

from . import contacts, drills, reviews, training

__all__ = ["contacts", "drills", "reviews", "training"]
