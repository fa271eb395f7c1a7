"""Builders for the incidents app, shared by the whole suite (a pytest plugin listed in
tests/conftest.py): factory_boy factories, the POST an admin form sends, and the live
server + headless Chromium fixtures."""

import os
from datetime import timedelta
from pathlib import Path

import factory
import pytest
from django import forms
from django.contrib.admin.widgets import AdminSplitDateTime
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.middleware.csrf import _get_new_csrf_string
from django.utils import timezone
from rest_framework.test import APIClient

from incidents.choices import Category, DetectionSource, IncidentType, Severity, Status
from incidents.models import ApiScope, Incident, RoleAssignment, Service, TimelineEntry
from incidents.services.api_keys import api_key_create

User = get_user_model()
ALL_SCOPES = list(ApiScope.values)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@harborlist.test")
    is_staff = True
    password = factory.PostGenerationMethodCall("set_password", "pw")

    @factory.post_generation
    def groups(self, create, extracted, **kwargs):
        if create and extracted:
            for name in extracted:
                self.groups.add(Group.objects.get(name=name))
        if create:
            self.save()


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"service-{n}")
    tier = 1
    customer_facing = True


class IncidentFactory(factory.django.DjangoModelFactory):
    """A row written directly (no service): for list/permission tests. Use
    incidents.services.incident_create when the behaviour under test is opening one."""

    class Meta:
        model = Incident

    reference = factory.Sequence(lambda n: f"INC-20260101-{n:06d}")
    title = factory.Sequence(lambda n: f"Incident {n}")
    severity = Severity.P2
    type = IncidentType.SERVICE_OUTAGE
    category = factory.LazyAttribute(
        lambda o: {
            IncidentType.DATA_BREACH: Category.SECURITY,
            IncidentType.UNAUTHORIZED_ACCESS: Category.SECURITY,
            IncidentType.MALWARE: Category.SECURITY,
            IncidentType.DDOS: Category.SECURITY,
            IncidentType.INSIDER_THREAT: Category.SECURITY,
        }.get(o.type, Category.OPERATIONAL)
    )
    status = Status.DETECTED
    detection_source = DetectionSource.CLOUDWATCH_ALARM
    detected_at = factory.LazyFunction(timezone.now)
    response_due_at = factory.LazyAttribute(lambda o: o.detected_at + timedelta(hours=4))


class RoleAssignmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = RoleAssignment

    incident = factory.SubFactory(IncidentFactory)
    role = "incident_commander"
    user = factory.SubFactory(UserFactory)
    assigned_at = factory.LazyFunction(timezone.now)


class TimelineEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = TimelineEntry

    incident = factory.SubFactory(IncidentFactory)
    at = factory.LazyFunction(timezone.now)
    kind = "note"
    text = "note"


# --- admin forms: the POST a browser would send from a rendered admin page ---------------


def _put(data: dict, name: str, field, value) -> None:
    if isinstance(field.widget, forms.SplitDateTimeWidget | AdminSplitDateTime):
        if value in (None, ""):
            data[f"{name}_0"], data[f"{name}_1"] = "", ""
            return
        if isinstance(value, list):
            data[f"{name}_0"], data[f"{name}_1"] = value
            return
        local = timezone.localtime(value)
        data[f"{name}_0"] = local.strftime("%Y-%m-%d")
        data[f"{name}_1"] = local.strftime("%H:%M:%S")
        return
    if isinstance(field, forms.BooleanField):
        if value:
            data[name] = "on"
        return
    if isinstance(field, forms.ModelMultipleChoiceField):
        data[name] = [str(getattr(v, "pk", v)) for v in (value or [])]
        return
    if value is None:
        data[name] = ""
        return
    data[name] = str(getattr(value, "pk", value))


def _form_data(data: dict, form) -> None:
    for name, field in form.fields.items():
        _put(data, form.add_prefix(name), field, form[name].value())


def changeform_post_data(response, **overrides) -> dict:
    """The form of an admin add/change page, as submitted unchanged, plus `overrides`."""
    data: dict = {}
    _form_data(data, response.context["adminform"].form)
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        _form_data(data, formset.management_form)
        for form in formset.forms:
            _form_data(data, form)
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def inline_prefix(response, model_name: str, add_only: bool) -> str:
    """Prefix of the role/timeline inline: the add-only one is the one without rows."""
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        if formset.model._meta.model_name != model_name:
            continue
        if add_only == (not formset.queryset.exists() and formset.extra > 0):
            return formset.prefix
    raise AssertionError(f"no {'add-only ' if add_only else ''}inline for {model_name}")


# --- API clients: a key with chosen scopes, a staff session that sends the CSRF token ---
@pytest.fixture
def make_key(db):
    def make(*scopes: str, name: str = "integration"):
        return api_key_create(name=name, scopes=list(scopes) or ALL_SCOPES)

    return make


@pytest.fixture
def key_client(make_key):
    """`key_client("incidents:read", ...)` → an APIClient sending that key as Bearer."""

    def make(*scopes: str, name: str = "integration") -> APIClient:
        api_key, raw = make_key(*scopes, name=name)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        client.api_key = api_key
        return client

    return make


@pytest.fixture
def session_client(db):
    """`session_client(user)` → a client logged in as `user` that sends the CSRF token."""

    def make(user) -> APIClient:
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(user)
        token = _get_new_csrf_string()
        client.cookies["csrftoken"] = token
        client.credentials(HTTP_X_CSRFTOKEN=token)
        client.user = user
        return client

    return make


# --- live server and headless Chromium -------------------------------------------------
CHROMIUM = "/usr/bin/chromium"
IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail_without_chromium():
    if Path(CHROMIUM).exists():
        return
    if IN_CI:
        pytest.fail(f"CI=true but {CHROMIUM} is missing (.ci/run installs Debian chromium)")
    pytest.skip(f"{CHROMIUM} is not installed (apt-get install chromium)")


@pytest.fixture
def live_url(request, migrated_data_kept, django_db_serialized_rollback, transactional_db):
    """pytest-django's live server, requested here rather than by name in the test: its
    autouse helper would otherwise set up transactional_db before `migrated_data_kept`,
    and the flush would then run after the migrations' data was put back."""
    server = request.getfixturevalue("live_server")
    server._live_server_modified_settings.enable()
    yield server.url
    server._live_server_modified_settings.disable()


# The one Playwright harness of the browser tests. Request the data fixtures (committed rows)
# before `browser_page` / `new_browser_page` in a test's signature: Playwright's sync API keeps
# an event loop running in this thread, where Django refuses ORM calls.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOTS = Path("/tmp/browser-screenshots")
PASSWORD = "pw"  # what UserFactory sets


@pytest.fixture
def chromium():
    """Debian's headless Chromium, driven by Playwright (skipped, or failed under CI, when
    it is not installed)."""
    skip_or_fail_without_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def new_browser_page(chromium, request):
    """`new_browser_page(width=1400, height=900)`: a page in a context of its own (its own
    login). When the test failed, a full-page screenshot of each page it opened goes to
    /tmp/browser-screenshots/<test name>.png (then <test name>-2.png, ...)."""
    contexts = []

    def make(width=1400, height=900):
        context = chromium.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        return context.new_page()

    failed_before = request.session.testsfailed
    yield make
    # The call's failure is counted before the fixture's teardown runs.
    if request.session.testsfailed > failed_before:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        pages = [page for context in contexts for page in context.pages]
        for n, page in enumerate(pages, start=1):
            suffix = "" if n == 1 else f"-{n}"
            page.screenshot(
                path=str(SCREENSHOTS / f"{request.node.name}{suffix}.png"), full_page=True
            )
    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(new_browser_page):
    """A 1400x900 page (see `new_browser_page`)."""
    return new_browser_page()


def submit_admin_login(page, username, password=PASSWORD):
    """Fill in the admin login form the page shows and wait for the page it leads to."""
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("input[type=submit]")


def admin_log_in(page, live_url, username, password=PASSWORD, next_path="/admin/"):
    """Log in through the admin login form, then on to `next_path` (URL-encoded)."""
    page.goto(f"{live_url}/admin/login/?next={next_path}")
    submit_admin_login(page, username, password)
