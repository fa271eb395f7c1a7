"""reporting.breach.reminders: obligation reminders, each once at its lead time, then the
overdue alarm."""

from datetime import timedelta

import pytest

from incidents.models import Delivery
from reporting.breach import reminders, services
from reporting.breach.choices import ObligationStatus
from tests.reporting.builders import T0, gdpr_assessment

pytestmark = pytest.mark.django_db


def _reminders(incident):
    return list(
        Delivery.objects.filter(incident=incident, idempotency_key__startswith="obligation:")
        .order_by("idempotency_key")
        .values_list("idempotency_key", "target")
    )


def test_reminders_fire_once_at_each_lead_time_then_the_overdue_alarm(open_breach, people):
    incident, art33 = gdpr_assessment(open_breach, people)
    due = art33.due_at
    assert reminders.obligation_reminders_dispatch(now=due - timedelta(hours=25)) == {}
    assert _reminders(incident) == []

    for moment in (due - timedelta(hours=24), due - timedelta(hours=4), due - timedelta(hours=1)):
        assert reminders.obligation_reminders_dispatch(now=moment) == {"reminder": 1}
        # The same sweep again (or a second beat) sends nothing more.
        assert reminders.obligation_reminders_dispatch(now=moment) == {}
        assert reminders.obligation_reminders_dispatch(now=moment + timedelta(minutes=1)) == {}

    assert reminders.obligation_reminders_dispatch(now=due) == {"overdue": 1}
    assert reminders.obligation_reminders_dispatch(now=due + timedelta(hours=5)) == {}
    keys = _reminders(incident)
    # Commander + both security leads, for three reminders and one alarm: 12, no more.
    assert len(keys) == 12
    targets = {target for _key, target in keys}
    assert targets == {"ic@harborlist.test", "sec@harborlist.test", "sec2@harborlist.test"}
    assert sum(":overdue:" in key for key, _ in keys) == 3
    assert len({key for key, _ in keys}) == len(keys)
    subjects = Delivery.objects.filter(idempotency_key__contains=":overdue:").values_list(
        "subject", flat=True
    )
    assert all("OVERDUE" in s and incident.reference in s for s in subjects)
    art33.refresh_from_db()
    assert art33.next_reminder_at is None and art33.overdue_alarmed_at == due


def test_a_sweep_after_an_outage_sends_one_reminder_not_three(open_breach, people):
    incident, art33 = gdpr_assessment(open_breach, people)
    due = art33.due_at
    assert reminders.obligation_reminders_dispatch(now=due - timedelta(minutes=30)) == {
        "reminder": 1
    }
    keys = [key for key, _ in _reminders(incident)]
    assert len(keys) == 3 and all(":reminder-60:" in key for key in keys)
    assert reminders.obligation_reminders_dispatch(now=due - timedelta(minutes=10)) == {}


def test_a_submitted_obligation_is_never_reminded(open_breach, people):
    incident, art33 = gdpr_assessment(open_breach, people)
    services.obligation_submit(obligation=art33, user=people["sec"], now=T0 + timedelta(hours=1))
    assert reminders.obligation_reminders_dispatch(now=art33.due_at + timedelta(days=1)) == {}
    assert _reminders(incident) == []


def test_reminder_leads_are_configurable(open_breach, people, settings):
    settings.HARBORMASTER_BREACH_REMINDER_LEAD_HOURS = [48]
    _incident, art33 = gdpr_assessment(open_breach, people)
    assert art33.next_reminder_at == art33.due_at - timedelta(hours=48)


def test_the_sweep_uses_the_indexed_clock_not_a_scan(
    open_breach, people, django_assert_max_num_queries
):
    gdpr_assessment(open_breach, people)
    with django_assert_max_num_queries(1):
        reminders.obligation_reminders_dispatch(now=T0)


def test_taking_a_regime_off_stops_its_open_obligations(open_breach, people):
    incident, art33 = gdpr_assessment(open_breach, people)
    services.breach_assessment_update(
        assessment=art33.assessment, user=people["sec"], regimes=[], now=T0
    )
    art33.refresh_from_db()
    assert art33.status == ObligationStatus.NOT_REQUIRED
    assert art33.next_reminder_at is None
    assert reminders.obligation_reminders_dispatch(now=art33.due_at) == {}
    assert _reminders(incident) == []
