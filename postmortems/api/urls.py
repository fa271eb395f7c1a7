"""Post-mortem routes under /api/v1/ (namespace "api", given by config/urls.py)."""

from django.urls import path

from .views import PostMortemJsonView, PostMortemMarkdownView

urlpatterns = [
    path(
        "incidents/<str:reference>/postmortem.md",
        PostMortemMarkdownView.as_view(),
        name="incident-postmortem-md",
    ),
    path(
        "incidents/<str:reference>/postmortem/",
        PostMortemJsonView.as_view(),
        name="incident-postmortem",
    ),
]
