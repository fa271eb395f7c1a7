"""Fixtures of the incidents.services tests."""

import pytest

from tests.incidents.builders import UserFactory


@pytest.fixture
def alice():
    return UserFactory(username="alice")


@pytest.fixture
def bob():
    return UserFactory(username="bob")
