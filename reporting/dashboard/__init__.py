"""The KPI dashboard and the quarterly compliance report (admin pages)."""
