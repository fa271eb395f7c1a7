"""KPIs over incidents, computed in SQL (docs/kpis.md), and their exports."""
