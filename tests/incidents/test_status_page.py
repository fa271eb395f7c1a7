"""Temporary: the status page tests moved to tests/incidents/status_page/test_views.py and
the live server fixtures to tests/incidents/builders.py."""

from tests.incidents.builders import CHROMIUM, live_url  # noqa: F401
from tests.incidents.builders import skip_or_fail_without_chromium as _skip_or_fail_without_chromium  # noqa: F401
