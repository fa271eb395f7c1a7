"""Temporary: the admin form helpers moved to tests/incidents/builders.py."""

from tests.incidents.builders import changeform_post_data, inline_prefix  # noqa: F401
