"""What the small demo and the bulk seed share: the guard, the service catalogue, users."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured

from ..choices import ServiceTier, StaffGroup
from ..models import Service
from .public_side import SERVICE_DISPLAY_NAMES

DEMO_EMAIL_DOMAIN = "harborlist.example"


def ensure_demo_data_allowed() -> None:
    """Raise ImproperlyConfigured unless this deployment may hold demo data."""
    if not getattr(settings, "HARBORMASTER_ALLOW_DEMO_DATA", False):
        raise ImproperlyConfigured(
            "Demo and benchmark data are disabled here (HARBORMASTER_ALLOW_DEMO_DATA is "
            "False, as under production settings). Refusing to write fake incidents and "
            "users into this database."
        )


@dataclass(frozen=True)
class DemoService:
    name: str
    description: str
    owning_team: str
    tier: int
    customer_facing: bool
    owner: str  # demo username


SERVICE_CATALOGUE = (
    DemoService(
        "web-app",
        "Public website: listing search, boat and berth listing pages, enquiries, dealer pages.",
        "Web Platform",
        ServiceTier.TIER_1,
        True,
        "tomas.techlead",
    ),
    DemoService(
        "api",
        "REST API behind the website and mobile apps, and the partner API for marinas.",
        "Platform",
        ServiceTier.TIER_1,
        True,
        "priya.techlead",
    ),
    DemoService(
        "payments",
        "Checkout for featured listings and berth-booking deposits (Stripe).",
        "Payments",
        ServiceTier.TIER_1,
        True,
        "tomas.techlead",
    ),
    DemoService(
        "search",
        "Listing search and saved searches (OpenSearch cluster).",
        "Discovery",
        ServiceTier.TIER_1,
        True,
        "priya.techlead",
    ),
    DemoService(
        "auth",
        "Sign-in, sessions, MFA and dealer single sign-on.",
        "Identity",
        ServiceTier.TIER_1,
        True,
        "sam.security",
    ),
    DemoService(
        "listings-db",
        "PostgreSQL primary and read replicas: listings, dealers, enquiries.",
        "Data Platform",
        ServiceTier.TIER_1,
        False,
        "priya.techlead",
    ),
    DemoService(
        "mobile-app",
        "HarborList iOS and Android apps.",
        "Mobile",
        ServiceTier.TIER_2,
        True,
        "tomas.techlead",
    ),
    DemoService(
        "notifications",
        "Email, push and SMS: enquiry alerts, saved-search digests, price-drop alerts.",
        "Messaging",
        ServiceTier.TIER_2,
        True,
        "priya.techlead",
    ),
    DemoService(
        "dealer-feeds",
        "Hourly inventory imports from dealer and yacht-broker feeds (XML, CSV, APIs).",
        "Integrations",
        ServiceTier.TIER_2,
        False,
        "tomas.techlead",
    ),
    DemoService(
        "media-cdn",
        "Listing photos and video walkthroughs (object storage behind a CDN).",
        "Web Platform",
        ServiceTier.TIER_3,
        True,
        "tomas.techlead",
    ),
)


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    group: str


DEMO_USERS = (
    DemoUser("ines.commander", "Inès", "Moreau", StaffGroup.INCIDENT_COMMANDER),
    DemoUser("omar.commander", "Omar", "Haddad", StaffGroup.INCIDENT_COMMANDER),
    DemoUser("tomas.techlead", "Tomás", "Reyes", StaffGroup.TECHNICAL_LEAD),
    DemoUser("priya.techlead", "Priya", "Natarajan", StaffGroup.TECHNICAL_LEAD),
    DemoUser("clara.comms", "Clara", "Jensen", StaffGroup.COMMUNICATIONS_LEAD),
    DemoUser("sam.security", "Sam", "Okafor", StaffGroup.SECURITY_LEAD),
    DemoUser("rita.responder", "Rita", "Kowalski", StaffGroup.RESPONDER),
    DemoUser("li.responder", "Li", "Wei", StaffGroup.RESPONDER),
    DemoUser("andy.auditor", "Andy", "Brooks", StaffGroup.AUDITOR),
)


def ensure_user(
    username: str,
    *,
    first_name: str = "",
    last_name: str = "",
    group: str | None = None,
    password: str | None = None,
    is_staff: bool = True,
):
    """get_or_create a user; `password` (if given) is set every time so it is the one shown."""
    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "email": f"{username}@{DEMO_EMAIL_DOMAIN}",
            "is_staff": is_staff,
        },
    )
    if password is not None:
        user.set_password(password)
        user.is_staff = is_staff
        user.save()
    elif created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    if group:
        user.groups.add(Group.objects.get_or_create(name=group)[0])
    return user


def ensure_services(users_by_name: dict | None = None) -> dict[str, Service]:
    users_by_name = users_by_name or {}
    result = {}
    for spec in SERVICE_CATALOGUE:
        service = Service.objects.filter(name=spec.name).first()
        if service is None:
            service = Service(
                name=spec.name,
                description=spec.description,
                owning_team=spec.owning_team,
                tier=spec.tier,
                customer_facing=spec.customer_facing,
                display_name=SERVICE_DISPLAY_NAMES.get(spec.name, ""),
                owner=users_by_name.get(spec.owner),
            )
            service._change_reason = "Demo service catalogue"
            service.save()
        result[spec.name] = service
    return result
