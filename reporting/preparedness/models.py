"""Preparedness models (registered under the reporting app by reporting/models.py)."""

__all__: list[str] = []
