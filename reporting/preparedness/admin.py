"""Admin for preparedness (imported by reporting/admin.py)."""
