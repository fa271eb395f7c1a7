"""Every admin page opens: the changelist, add, change (of an existing demo row) and history
page of every registered model, as a superuser and as a member of each staff group. A group
may be refused (403), sent elsewhere (302) or told the row does not exist (404); nobody
ever gets a server error. One demo load per test."""

import contextlib

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.test import RequestFactory
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, IntervalSchedule, SolarSchedule

from incidents.choices import Category, DeliveryStatus, StaffGroup
from incidents.ingestion.parsers import parse_alertmanager
from incidents.ingestion.services import alert_ingest
from incidents.models import (
    Communication,
    CommunicationTemplate,
    Delivery,
    Incident,
    SnsSubscription,
)
from incidents.services import api_key_create
from postmortems.models import PostMortem
from postmortems.services import action_item_add
from reporting.audit.sealing import seal_pending
from reporting.audit.verification import verify_new_segments
from reporting.breach.services import breach_assessment_start
from reporting.models import BreachAssessment, Regime
from tests.incidents.ingestion.payloads import alertmanager_webhook

OK_FOR_GROUPS = {200, 302, 403, 404}


def admin_pages(superuser):
    """[(label, url, superuser_may_open)] for every registered model: its list, add page,
    and the change and history pages of its first row (when it has one)."""
    request = RequestFactory().get("/admin/")
    request.user = superuser
    pages = []
    for model, model_admin in admin.site._registry.items():
        info = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        label = f"{model._meta.app_label}.{model._meta.model_name}"
        pages.append((f"{label} list", reverse(f"{info}_changelist"), True))
        # Rows only services write have no add page (403 by design).
        addable = model_admin.has_add_permission(request)
        pages.append((f"{label} add", reverse(f"{info}_add"), addable))
        row = model._default_manager.order_by("pk").first()
        if row is None:
            continue
        pages.append((f"{label} change", reverse(f"{info}_change", args=[row.pk]), True))
        with contextlib.suppress(NoReverseMatch):
            pages.append((f"{label} history", reverse(f"{info}_history", args=[row.pk]), True))
    return pages


def failing_pages(client, pages, *, as_superuser: bool) -> list[str]:
    client.raise_request_exception = False  # list every failing page, not only the first
    failures = []
    for label, url, superuser_may_open in pages:
        status = client.get(url).status_code
        if as_superuser:
            ok = status == 200 if superuser_may_open else status == 403
        else:
            ok = status in OK_FOR_GROUPS
        if not ok:
            failures.append(f"{label} {url}: {status}")
    return failures


@pytest.fixture
def superuser(demo_admin):
    """The demo's superuser, with a row in every model the demo leaves empty (alerts,
    deliveries, a breach record, an audit seal, ...), so their change and history pages
    are opened too."""
    user = get_user_model().objects.get(username="budget.admin")
    now = timezone.now()
    fill_empty_models(user, now)
    return user


def fill_empty_models(user, now):
    (alert,) = parse_alertmanager(alertmanager_webhook())
    alert_ingest(alert, now=now)
    api_key_create(name="integration", scopes=["incidents:read"])
    SnsSubscription.objects.create(
        topic_arn="arn:aws:sns:eu-west-1:1:alerts",
        subscribe_url="https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription",
        message_id="m-1",
        token="t",
        payload={},
        received_at=now,
    )
    incident = Incident.objects.filter(category=Category.SECURITY).order_by("pk").first()
    Delivery.objects.create(
        idempotency_key="admin-pages-1",
        channel="email",
        target="oncall@example.test",
        subject="Paged",
        body="b",
        status=DeliveryStatus.FAILED,
        created_at=now,
        incident=incident,
        last_error="SMTP 550",
    )
    template = CommunicationTemplate.objects.order_by("pk").first()
    Communication.objects.create(
        incident=incident,
        template=template,
        kind=template.kind,
        audience="internal",
        channels=["email"],
        subject="Update",
        body="Text",
        sent_by=user,
        sent_at=now,
    )
    if not BreachAssessment.objects.filter(incident=incident).exists():
        breach_assessment_start(
            incident=incident,
            user=user,
            awareness_at=now,
            awareness_reason="confirmed",
            regimes=list(Regime.objects.filter(code="gdpr-33")),
            now=now,
        )
    postmortem = PostMortem.objects.order_by("pk").first()
    action_item_add(
        postmortem=postmortem,
        description="Rotate the keys",
        owner=user,
        due_date=now.date(),
        user=user,
        now=now,
    )
    seal_pending(now=now)
    verify_new_segments(now=now)
    IntervalSchedule.objects.create(every=1, period=IntervalSchedule.HOURS)
    ClockedSchedule.objects.create(clocked_time=now)
    SolarSchedule.objects.create(event="sunrise", latitude=52, longitude=4)
    empty = [m._meta.label for m in admin.site._registry if not m._default_manager.exists()]
    assert not empty, f"no row to open the change page of: {empty}"


def test_every_admin_page_opens_for_a_superuser(demo_admin, superuser):
    pages = admin_pages(superuser)
    assert len(pages) > 150  # about 45 models, nearly all with demo rows
    failures = failing_pages(demo_admin, pages, as_superuser=True)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("group", StaffGroup.values)
def test_every_admin_page_opens_for_each_staff_group(demo_admin, superuser, group):
    pages = admin_pages(superuser)
    user = get_user_model().objects.create_user(
        f"staff.{group.lower().replace(' ', '.')}", password="x", is_staff=True
    )
    user.groups.add(Group.objects.get(name=group))
    demo_admin.force_login(user)
    assert demo_admin.get(reverse("admin:index")).status_code == 200
    failures = failing_pages(demo_admin, pages, as_superuser=False)
    assert not failures, "\n".join(failures)
