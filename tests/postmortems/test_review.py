"""Post-mortem review: "Submit for review" saves the page's edits first; four eyes on
approval (not by the person who submitted it; a superuser only with a reason, kept in
history and on the timeline)."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from incidents import services
from incidents.choices import DetectionSource, IncidentType, Severity, Status
from incidents.domain import DomainError
from postmortems import domain
from postmortems import services as pm
from postmortems.models import PostMortemStatus
from tests.incidents.builders import UserFactory, changeform_post_data

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)


def approver(username, **kwargs):
    user = UserFactory(username=username, **kwargs)
    user.user_permissions.add(Permission.objects.get(codename="approve_postmortem"))
    return type(user).objects.get(pk=user.pk)


@pytest.fixture
def postmortem():
    incident = services.incident_create(
        title="Checkout returns 502",
        severity=Severity.P1,
        type=IncidentType.SERVICE_OUTAGE,
        detection_source=DetectionSource.CLOUDWATCH_ALARM,
        customer_impact="Customers cannot pay",
        user=None,
        now=NOW,
    )
    for status in (Status.INVESTIGATING, Status.RESOLVED):
        services.incident_transition(
            incident=incident,
            to_status=status,
            resolution_summary="Rolled back",
            user=None,
            now=NOW,
        )
    return incident.postmortem


def submitted(postmortem, user):
    pm.postmortem_update(
        postmortem=postmortem, user=user, root_cause="typo", lessons_learned="lint"
    )
    return pm.postmortem_submit(postmortem=postmortem, user=user, now=NOW)


# --- four eyes (service) ----------------------------------------------------------------
def test_the_submitter_cannot_approve_their_own_postmortem(postmortem):
    author = approver("author")
    assert submitted(postmortem, author).submitted_by == author
    with pytest.raises(DomainError, match="someone else must approve"):
        pm.postmortem_publish(postmortem=postmortem, approver=author, now=NOW)
    postmortem.refresh_from_db()
    assert postmortem.status == PostMortemStatus.IN_REVIEW
    other = approver("reviewer")
    published = pm.postmortem_publish(postmortem=postmortem, approver=other, now=NOW)
    assert published.approved_by == other and published.status == PostMortemStatus.PUBLISHED


def test_a_superuser_overrides_only_with_a_reason_recorded_in_history_and_timeline(postmortem):
    root = UserFactory(username="root", is_superuser=True)
    submitted(postmortem, root)
    with pytest.raises(DomainError, match="needs a reason"):
        pm.postmortem_publish(postmortem=postmortem, approver=root, now=NOW, override_reason=" ")
    published = pm.postmortem_publish(
        postmortem=postmortem, approver=root, now=NOW, override_reason="Only reviewer on leave"
    )
    assert published.status == PostMortemStatus.PUBLISHED
    reason = published.history.latest("history_date").history_change_reason
    assert reason == "Approved and published by root; four-eyes override: Only reviewer on leave"
    texts = list(published.incident.timeline.values_list("text", flat=True))
    assert any("four-eyes override: Only reviewer on leave" in t for t in texts)


def test_four_eyes_rule_is_pure():
    assert (
        domain.four_eyes_refusal(
            author_ids={1}, approver_id=2, is_superuser=False, override_reason=""
        )
        is None
    )
    assert domain.four_eyes_refusal(
        author_ids={1}, approver_id=1, is_superuser=False, override_reason="because"
    )
    assert domain.four_eyes_refusal(
        author_ids={1}, approver_id=1, is_superuser=True, override_reason=""
    )
    assert (
        domain.four_eyes_refusal(
            author_ids={1}, approver_id=1, is_superuser=True, override_reason="because"
        )
        is None
    )


# --- admin ------------------------------------------------------------------------------
def test_submit_for_review_saves_the_unsaved_edits_first(client, postmortem):
    client.force_login(UserFactory(username="admin", is_superuser=True))
    url = reverse("admin:postmortems_postmortem_change", args=[postmortem.pk])
    page = client.get(url)
    html = page.content.decode()
    assert 'name="_submit_for_review"' in html and 'form="postmortem_form"' in html
    data = changeform_post_data(
        page, root_cause="Config typo", lessons_learned="Lint configs", _submit_for_review="1"
    )
    response = client.post(url, data)
    assert response.status_code == 302 and response["Location"] == url
    postmortem.refresh_from_db()
    assert postmortem.root_cause == "Config typo"
    assert postmortem.status == PostMortemStatus.IN_REVIEW
    assert postmortem.submitted_by.username == "admin"


def test_submit_that_is_refused_still_keeps_the_edits(client, postmortem):
    client.force_login(UserFactory(username="admin", is_superuser=True))
    url = reverse("admin:postmortems_postmortem_change", args=[postmortem.pk])
    data = changeform_post_data(client.get(url), root_cause="Config typo", _submit_for_review="1")
    response = client.post(url, data, follow=True)
    postmortem.refresh_from_db()
    assert postmortem.root_cause == "Config typo"
    assert postmortem.status == PostMortemStatus.DRAFT
    assert "Saved, but not submitted" in response.content.decode()


def test_admin_refuses_self_approval_with_a_clear_error_and_asks_a_superuser_for_a_reason(
    client, postmortem
):
    author = approver("author", is_staff=True)
    author.user_permissions.add(*Permission.objects.filter(codename__endswith="_postmortem"))
    author = type(author).objects.get(pk=author.pk)
    submitted(postmortem, author)
    client.force_login(author)
    publish = reverse("admin:postmortems_postmortem_step", args=[postmortem.pk, "publish"])
    response = client.post(publish, follow=True)
    assert "someone else must approve" in response.content.decode()
    postmortem.refresh_from_db()
    assert postmortem.status == PostMortemStatus.IN_REVIEW

    pm.postmortem_return(postmortem=postmortem, user=None)
    root = UserFactory(username="root", is_superuser=True)
    submitted(postmortem, root)
    client.force_login(root)
    page = client.get(reverse("admin:postmortems_postmortem_change", args=[postmortem.pk]))
    assert 'name="override_reason"' in page.content.decode()
