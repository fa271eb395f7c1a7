"""Breach assessments, audit export, KPIs and preparedness (see the compliance issues)."""
