"""Audit trail: discovery of history tables, streaming export, sealing and verification."""
