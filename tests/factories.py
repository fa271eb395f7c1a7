"""factory_boy factories shared by the whole suite."""

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from incidents.choices import Category, DetectionSource, IncidentType, Severity, Status
from incidents.models import Incident, RoleAssignment, Service, TimelineEntry

User = get_user_model()


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
