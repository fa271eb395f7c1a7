"""incidents.kernel.history: who changed a tracked row and why, for saves and m2m changes."""

import pytest

from incidents.kernel.history import history_m2m_set
from tests.incidents.builders import IncidentFactory, ServiceFactory, UserFactory

pytestmark = pytest.mark.django_db


def _latest(incident):
    return incident.history.order_by("-history_id").first()


def test_history_m2m_set_records_user_reason_and_the_new_set():
    incident = IncidentFactory()
    user = UserFactory()
    first, second, third = ServiceFactory(), ServiceFactory(), ServiceFactory()

    history_m2m_set(incident, "affected_services", [first, second], user=user, reason="Scoped")

    assert set(incident.affected_services.all()) == {first, second}
    row = _latest(incident)
    assert row.history_type == "~"
    assert row.history_user == user
    assert row.history_change_reason == "Scoped"
    assert {m.service_id for m in row.affected_services.all()} == {first.pk, second.pk}

    history_m2m_set(incident, "affected_services", [third], user=None, reason="Re-scoped")
    assert set(incident.affected_services.all()) == {third}
    row = _latest(incident)
    assert row.history_user is None and row.history_change_reason == "Re-scoped"
    assert {m.service_id for m in row.affected_services.all()} == {third.pk}


def test_history_m2m_set_add_keeps_the_current_ones():
    incident = IncidentFactory()
    user = UserFactory()
    first, second = ServiceFactory(), ServiceFactory()
    incident.affected_services.set([first])

    history_m2m_set(incident, "affected_services", [second], user=user, reason="Added", add=True)

    assert set(incident.affected_services.all()) == {first, second}
    row = _latest(incident)
    assert row.history_user == user and row.history_change_reason == "Added"
