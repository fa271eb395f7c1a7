"""Temporary: the factories moved to tests/incidents/builders.py."""

from tests.incidents.builders import *  # noqa: F403
