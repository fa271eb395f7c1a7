"""What bulk incidents are made of: mixes, durations and wording."""

from __future__ import annotations

from ..choices import Category, DetectionSource, Severity, StaffGroup

# The bench user pool: (group, how many). Usernames are made from the name lists below.
BENCH_STAFF = (
    (StaffGroup.INCIDENT_COMMANDER, 8),
    (StaffGroup.TECHNICAL_LEAD, 12),
    (StaffGroup.COMMUNICATIONS_LEAD, 4),
    (StaffGroup.SECURITY_LEAD, 4),
    (StaffGroup.RESPONDER, 24),
    (StaffGroup.AUDITOR, 2),
)
FIRST_NAMES = ("alex", "bea", "chen", "dara", "elif", "femi", "greta", "hugo", "isla")
LAST_NAMES = ("berg", "costa", "dube", "ekman", "flores", "gallo", "hart")

SEVERITY_WEIGHTS = {Severity.P0: 3, Severity.P1: 12, Severity.P2: 35, Severity.P3: 50}
# Most and least severe level that makes sense per type (others span P0–P3).
SEVERITY_RANGE = {
    "data_breach": (Severity.P0, Severity.P1),
    "unauthorized_access": (Severity.P0, Severity.P2),
    "malware": (Severity.P0, Severity.P2),
    "insider_threat": (Severity.P0, Severity.P2),
    "ddos": (Severity.P0, Severity.P2),
    "service_outage": (Severity.P0, Severity.P2),
    "data_corruption": (Severity.P0, Severity.P2),
    "software_bug": (Severity.P1, Severity.P3),
    "integration_problem": (Severity.P1, Severity.P3),
    "mobile_app_crash": (Severity.P1, Severity.P3),
    "ui_issue": (Severity.P2, Severity.P3),
}
CATEGORY_WEIGHTS = {Category.OPERATIONAL: 45, Category.APPLICATION: 40, Category.SECURITY: 15}
SOURCE_WEIGHTS = {
    Category.SECURITY: {
        DetectionSource.SECURITY_EVENT: 60,
        DetectionSource.THIRD_PARTY: 10,
        DetectionSource.TEAM_REPORT: 15,
        DetectionSource.SUPPORT_TICKET: 10,
        DetectionSource.CLOUDWATCH_ALARM: 5,
    },
    Category.OPERATIONAL: {
        DetectionSource.CLOUDWATCH_ALARM: 55,
        DetectionSource.APM: 25,
        DetectionSource.TEAM_REPORT: 10,
        DetectionSource.SUPPORT_TICKET: 5,
        DetectionSource.SOCIAL_MEDIA: 3,
        DetectionSource.THIRD_PARTY: 2,
    },
    Category.APPLICATION: {
        DetectionSource.APM: 30,
        DetectionSource.USER_ERROR_REPORT: 30,
        DetectionSource.SUPPORT_TICKET: 20,
        DetectionSource.TEAM_REPORT: 10,
        DetectionSource.SOCIAL_MEDIA: 5,
        DetectionSource.THIRD_PARTY: 5,
    },
}
# Lifecycle step durations: median minutes per severity (log-normal, sigma 1).
ACK_MINUTES = {"P0": 4, "P1": 14, "P2": 50, "P3": 300}
TRIAGE_MINUTES = {"P0": 4, "P1": 10, "P2": 30, "P3": 120}
INVESTIGATE_MINUTES = {"P0": 5, "P1": 15, "P2": 45, "P3": 240}
CONTAIN_MINUTES = {"P0": 45, "P1": 120, "P2": 360, "P3": 1440}
RESOLVE_MINUTES = {"P0": 120, "P1": 300, "P2": 900, "P3": 2880}
CLOSE_MINUTES = {"P0": 4320, "P1": 4320, "P2": 1440, "P3": 1440}
USERS_AFFECTED_MEDIAN = {"P0": 5000, "P1": 800, "P2": 60, "P3": 5}

# Final status wanted, by age of the incident (then cut at `now` if a step lies ahead).
TARGETS_OLD = {"closed": 84, "cancelled": 9, "resolved": 5, "investigating": 1, "contained": 1}
TARGETS_RECENT = {
    "closed": 45,
    "resolved": 25,
    "cancelled": 8,
    "contained": 8,
    "investigating": 8,
    "triaged": 4,
    "detected": 2,
}
TARGETS_TODAY = {
    "closed": 5,
    "resolved": 20,
    "cancelled": 6,
    "contained": 15,
    "investigating": 25,
    "triaged": 17,
    "detected": 12,
}

# Which services each type tends to hit (first is the most likely).
SERVICES_BY_TYPE = {
    "unauthorized_access": ("auth", "api", "web-app"),
    "data_breach": ("listings-db", "api", "auth"),
    "malware": ("auth", "media-cdn", "web-app"),
    "insider_threat": ("listings-db", "auth"),
    "ddos": ("web-app", "search", "api"),
    "service_outage": ("web-app", "api", "payments", "search", "auth", "notifications"),
    "performance_degradation": ("search", "web-app", "api", "listings-db", "media-cdn"),
    "infrastructure_failure": ("listings-db", "search", "media-cdn", "api"),
    "deployment_issue": ("web-app", "api", "payments", "mobile-app", "notifications"),
    "data_corruption": ("listings-db", "dealer-feeds", "search"),
    "software_bug": ("web-app", "api", "notifications", "payments"),
    "api_failure": ("api", "payments", "auth"),
    "integration_problem": ("dealer-feeds", "payments", "notifications"),
    "ui_issue": ("web-app", "mobile-app"),
    "mobile_app_crash": ("mobile-app", "api", "media-cdn"),
}
TITLES = {
    "unauthorized_access": (
        "Suspicious logins to dealer accounts from {country}",
        "Admin console accessed with a leaked API key",
        "Credential stuffing against {service} login",
    ),
    "data_breach": (
        "Enquiry contact details exposed through {service} endpoint",
        "Listing export bucket found publicly readable",
        "Dealer CRM export shared outside the company",
    ),
    "malware": (
        "EDR flags malware on a {team} laptop",
        "Malicious file uploaded as a listing photo",
    ),
    "ddos": ("Layer-7 flood against /{path}", "Volumetric DDoS on the {service} edge"),
    "insider_threat": (
        "Bulk export of dealer contacts by a departing employee",
        "Unapproved production database access by a contractor",
    ),
    "service_outage": (
        "{service} unavailable: health checks failing in {region}",
        "{service} returning 5xx for all requests",
    ),
    "performance_degradation": (
        "{service} p95 latency above {seconds} s",
        "Slow listing pages after a cache eviction storm",
    ),
    "infrastructure_failure": (
        "{service} node lost in {region}",
        "Disk full on a {service} host",
        "TLS certificate expired on {service}",
    ),
    "deployment_issue": (
        "Release {version} of {service} failed health checks",
        "Migration in release {version} locked the listings table",
    ),
    "data_corruption": (
        "Duplicate listings created by the dealer-feed import",
        "Listing prices converted twice by the currency job",
        "Enquiries attached to the wrong dealer after a merge",
    ),
    "software_bug": (
        "Enquiry form rejects valid phone numbers",
        "Saved search misses boats over {feet} ft",
        "Price-drop alert sent for unchanged prices",
    ),
    "api_failure": (
        "Partner API returning {code} to {partner}",
        "{service} API timeouts from mobile clients",
    ),
    "integration_problem": (
        "{partner} feed import failing (HTTP {code})",
        "Stripe webhooks not reaching payments",
    ),
    "ui_issue": (
        "Photo carousel broken in Safari",
        "Boat length shown in the wrong units on listing pages",
        "Berth availability calendar renders empty on small screens",
    ),
    "mobile_app_crash": (
        "{platform} app {version} crashes on launch for some users",
        "{platform} app crashes when opening the photo gallery",
    ),
}
FILL = {
    "country": ("Vietnam", "Brazil", "Romania", "a residential proxy network"),
    "team": ("support", "sales", "marketing", "finance"),
    "path": ("search", "listings", "api/v2/enquiries", "login"),
    "region": ("eu-west-1", "us-east-1", "eu-central-1"),
    "seconds": ("3", "5", "8", "12"),
    "version": ("2025.3.1", "2025.7.4", "2025.11.3", "5.14", "6.2"),
    "feet": ("40", "60", "80"),
    "code": ("401", "429", "500", "503"),
    "partner": ("BerthHub", "YachtBroker", "MarinaLink", "BoatWorld"),
    "platform": ("iOS", "Android"),
}
RESOLUTIONS = {
    Category.SECURITY: (
        "Access revoked, credentials rotated, affected accounts reset; evidence preserved.",
        "Malicious traffic blocked at the WAF; rules kept with tuned thresholds.",
        "Exposed data located and removed; access logs reviewed, no further access found.",
    ),
    Category.OPERATIONAL: (
        "Rolled back to the previous release; fix redeployed after a staging test.",
        "Failed node replaced and data rebalanced; capacity alarms tightened.",
        "Corrupted rows restored from the nightly snapshot and reconciled.",
        "Connection pool and autoscaling limits raised; latency back to baseline.",
    ),
    Category.APPLICATION: (
        "Bug fixed and deployed; regression test added.",
        "Partner credentials renewed; integration retried and backlog processed.",
        "Hotfix released to the app stores; crash rate back to baseline.",
    ),
}
CANCEL_REASONS = (
    "False alarm: the alarm threshold was misconfigured.",
    "Duplicate of an incident already open.",
    "Not an incident: planned maintenance window.",
    "False alarm: the reporter's own network was down.",
    "Synthetic monitoring glitch; real traffic was unaffected.",
)
NOTES = (
    "Status page updated.",
    "Support macro published for customers asking about this.",
    "Vendor confirms the problem on their side; ticket opened.",
    "Dashboards and logs attached in the incident channel.",
    "Management briefed.",
    "Monitoring for recurrence over the next hour.",
)
