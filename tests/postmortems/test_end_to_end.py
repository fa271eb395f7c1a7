"""One P0 from report to close, through the admin as staff use it, on a moving clock:
report → acknowledge → roles → status updates → contain → resolve → post-mortem with
action items → publish → close. Timeline and history are checked at the end."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from incidents import services
from incidents.choices import (
    DetectionSource,
    IncidentType,
    ResponseRole,
    Severity,
    StaffGroup,
    Status,
)
from incidents.communications.services import status_updates_sweep
from incidents.models import Communication, CommunicationTemplate, Delivery, Incident
from postmortems.models import ActionItem, PostIncidentTask, PostMortemStatus
from tests.incidents.builders import ServiceFactory, UserFactory, changeform_post_data

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 27, 13, 45, 2, tzinfo=UTC)


def test_p0_from_report_to_close(client):
    admin = UserFactory(username="ic.admin", is_superuser=True)
    tech = UserFactory(username="tl.tom")
    comms = UserFactory(username="cl.clara", groups=[StaffGroup.COMMUNICATIONS_LEAD])
    owner = UserFactory(username="dev.dana")
    payments = ServiceFactory(name="Payments", customer_facing=True)
    client.force_login(admin)

    with time_machine.travel(T0, tick=False) as clock:
        # Report.
        incident = services.incident_create(
            title="Payments down",
            severity=Severity.P0,
            type=IncidentType.SERVICE_OUTAGE,
            detection_source=DetectionSource.CLOUDWATCH_ALARM,
            summary="Card payments fail",
            customer_impact="No checkout possible",
            affected_services=[payments],
            user=admin,
        )
        assert incident.reference == "INC-20261127-134502"
        change = reverse("admin:incidents_incident_change", args=[incident.pk])

        # Acknowledge.
        clock.shift(timedelta(minutes=5))
        ack = client.post(reverse("admin:incidents_incident_acknowledge", args=[incident.pk]))
        assert ack.status_code == 302

        # Roles.
        for role, person in (
            (ResponseRole.INCIDENT_COMMANDER, admin),
            (ResponseRole.TECHNICAL_LEAD, tech),
            (ResponseRole.COMMUNICATIONS_LEAD, comms),
        ):
            services.incident_assign_role(incident=incident, role=role, assignee=person, user=admin)

        # The communications lead writes the customer-facing wording, then the initial
        # notification goes out externally, on the status page.
        services.incident_update(
            incident=incident,
            user=comms,
            public_title="Card payments failing",
            public_summary="Some card payments fail at checkout; we are on it.",
            public_impact="Customers may be unable to pay by card.",
        )
        communicate = reverse("admin:incidents_incident_communicate", args=[incident.pk])
        sent = client.post(
            communicate,
            {
                "template": CommunicationTemplate.objects.get(kind="initial").pk,
                "audience": "external",
                "channels": ["status_page", "email"],
                "email_recipients": "customers@harborlist.test",
                "eta": "15:00 UTC",
                "updates": "https://status.harborlist.test",
                "_send": "1",
            },
        )
        assert sent.status_code == 302, sent.content.decode()
        status_updates_sweep()

        # Investigate; the 30-minute update is late: the communications lead is reminded.
        services.incident_transition(incident=incident, to_status=Status.INVESTIGATING, user=tech)
        clock.shift(timedelta(minutes=31))
        assert status_updates_sweep()["reminded"] == 1
        reminder = Delivery.objects.get(idempotency_key__startswith="update-reminder:")
        assert reminder.recipient == comms

        # Status update (internal), then contain.
        client.force_login(comms)  # a Communications Lead, not a superuser
        update = client.post(
            communicate,
            {
                "template": CommunicationTemplate.objects.get(kind="update").pk,
                "audience": "internal",
                "channels": ["email"],
                "email_recipients": "eng@harborlist.test",
                "progress": "Rolled back release 42",
                "next_steps": "Watch error rates",
                "eta": "30 minutes",
                "_send": "1",
            },
        )
        assert update.status_code == 302
        client.force_login(admin)
        clock.shift(timedelta(minutes=10))
        contain = client.post(
            reverse("admin:incidents_incident_transition", args=[incident.pk, Status.CONTAINED]),
            {},
        )
        assert contain.status_code == 302

        # Resolve: checklists and the post-mortem open.
        clock.shift(timedelta(minutes=20))
        resolve = client.post(
            reverse("admin:incidents_incident_transition", args=[incident.pk, Status.RESOLVED]),
            {"resolution_summary": "Release 42 rolled back; payments flowing"},
        )
        assert resolve.status_code == 302
        incident.refresh_from_db()
        postmortem = incident.postmortem
        assert PostIncidentTask.objects.filter(incident=incident).count() == 10

        # Closing is refused while the post-mortem is a draft.
        refused = client.post(
            reverse("admin:incidents_incident_transition", args=[incident.pk, Status.CLOSED]), {}
        )
        assert refused.status_code == 400

        # Post-mortem written in the admin, with two action items.
        clock.shift(timedelta(days=2))
        pm_url = reverse("admin:postmortems_postmortem_change", args=[postmortem.pk])
        page = client.get(pm_url)
        data = changeform_post_data(
            page,
            root_cause="Release 42 changed the card gateway timeout",
            went_well="Rollback in 10 minutes",
            could_improve="Canary did not cover payments",
            lessons_learned="Canary every tier-1 service",
        )
        prefix = page.context["inline_admin_formsets"][0].formset.prefix
        data.update(
            {
                f"{prefix}-TOTAL_FORMS": "2",
                f"{prefix}-0-description": "Add payments to the canary",
                f"{prefix}-0-owner": str(owner.pk),
                f"{prefix}-0-due_date": "2026-12-10",
                f"{prefix}-0-status": "open",
                f"{prefix}-0-ticket_url": "https://tickets.example/OPS-42",
                f"{prefix}-1-description": "Alert on gateway timeouts",
                f"{prefix}-1-owner": str(tech.pk),
                f"{prefix}-1-due_date": "2026-12-05",
                f"{prefix}-1-status": "open",
                f"{prefix}-1-ticket_url": "",
            }
        )
        saved = client.post(pm_url, data)
        assert saved.status_code == 302, saved.context and saved.context["errors"]
        assert ActionItem.objects.filter(postmortem=postmortem).count() == 2

        # Review and publish.
        # The superuser submitted it: approving it themselves needs a reason (four eyes).
        step = reverse("admin:postmortems_postmortem_step", args=[postmortem.pk, "submit"])
        client.post(step)
        publish = reverse("admin:postmortems_postmortem_step", args=[postmortem.pk, "publish"])
        client.post(publish)
        postmortem.refresh_from_db()
        assert postmortem.status == PostMortemStatus.IN_REVIEW
        client.post(publish, {"override_reason": "Only commander on shift"})
        postmortem.refresh_from_db()
        assert postmortem.status == PostMortemStatus.PUBLISHED
        assert postmortem.approved_by == admin

        md = client.get(reverse("admin:postmortems_postmortem_export", args=[postmortem.pk]))
        assert "- **Duration:** 1h 6m" in md.content.decode()
        assert "Add payments to the canary — owner: dev.dana, due 2026-12-10" in md.content.decode()

        # Close (the unticked steps and open tasks need a reason).
        close = client.post(
            reverse("admin:incidents_incident_transition", args=[incident.pk, Status.CLOSED]),
            {"reason": "Open work tracked in OPS-1"},
        )
        assert close.status_code == 302
        assert client.get(change).status_code == 200
        # The status page shows incidents resolved in the last 7 days: read it on the
        # test's clock, not today's (it failed on any date more than a week after T0).
        public = client.get("/status/").content.decode()

    incident = Incident.objects.get(pk=incident.pk)
    assert incident.status == Status.CLOSED
    texts = list(incident.timeline.order_by("at", "id").values_list("text", flat=True))
    expected_in_order = [
        "P0 Service outage detected",
        "Acknowledged by ic.admin",
        "cl.clara is Communications Lead",
        "External communication sent via email list, public status page: INCIDENT ALERT - P0",
        "investigating",
        "Internal communication sent via email list: INCIDENT UPDATE - P0",
        "contained",
        "resolved",
        "Post-incident checklists opened",
        "Post-mortem opened",
        "Post-mortem submitted for review",
        "Post-mortem published (approved by ic.admin; four-eyes override: Only commander on shift)",
        "closed",
    ]
    position = 0
    for fragment in expected_in_order:
        while position < len(texts) and fragment.lower() not in texts[position].lower():
            position += 1
        assert position < len(texts), f"{fragment!r} missing or out of order in {texts}"
    # History: each status the incident passed through, with who moved it.
    statuses = [h.status for h in incident.history.order_by("history_date", "history_id")]
    for status in ("detected", "investigating", "contained", "resolved", "closed"):
        assert status in statuses
    closing = incident.history.filter(status=Status.CLOSED).first()
    assert closing.history_user == admin
    assert postmortem.history.filter(history_user=admin, status="published").exists()
    assert Communication.objects.filter(incident=incident).count() == 2
    assert "15:00 UTC" in public and "Rolled back release 42" not in public
