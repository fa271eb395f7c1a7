"""A post-incident task is ticked done (and reopened) on its admin page."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model

from postmortems.incident_page import postmortem_panel
from postmortems.models import PostIncidentTask
from postmortems.services import task_set_done
from tests.postmortems.test_postmortems import open_incident, resolve

pytestmark = pytest.mark.django_db


def test_a_post_incident_task_is_ticked_done_in_the_admin(client, now):
    incident = open_incident(now - timedelta(hours=2))
    resolve(incident, now)
    task = PostIncidentTask.objects.filter(incident=incident).order_by("pk").first()
    admin = get_user_model().objects.create_superuser("root", "r@example.test", "x")
    client.force_login(admin)
    url = f"/admin/postmortems/postincidenttask/{task.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    assert 'name="done"' in page.content.decode()

    assert client.post(url, {"done": "on"}).status_code == 302
    task.refresh_from_db()
    assert task.done_at is not None and task.done_by == admin
    assert 'name="done" id="id_done" checked' in client.get(url).content.decode()

    assert client.post(url, {}).status_code == 302
    task.refresh_from_db()
    assert task.done_at is None


def test_the_incident_page_lists_open_post_incident_tasks_before_done_ones(rf, now):
    """PostgreSQL sorts NULLs last: ordering by done_at alone put the open tasks at the end."""
    incident = open_incident(now - timedelta(hours=2))
    resolve(incident, now)
    admin = get_user_model().objects.create_superuser("root", "r@example.test", "x")
    first = PostIncidentTask.objects.filter(incident=incident).order_by("stage", "order").first()
    task_set_done(task=first, done=True, user=admin, now=now)
    request = rf.get("/")
    request.user = admin
    tasks = postmortem_panel(request, incident)[2]["tasks"]
    assert len(tasks) > 1
    assert [task["done"] for task in tasks] == sorted(task["done"] for task in tasks)
    assert tasks[-1]["text"] == first.text
