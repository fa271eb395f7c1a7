"""The post-mortem endpoints under /api/v1/ (collected by config/urls.py)."""
