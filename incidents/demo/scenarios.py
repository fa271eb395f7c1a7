"""The small demo data set's stories: a dozen HarborList incidents, each a list of steps
played through the services by incidents.demo.small."""

from __future__ import annotations

from datetime import timedelta

from ..choices import DetectionSource, IncidentType, ResponseRole, Severity, Status

# A scenario is one incident's story. Steps are (minutes after detection, actor, action, *args):
#   ("ack",) · ("role", role, assignee) · ("status", to, {kwargs}) · ("note", text)
#   ("tick", phase-or-section, count or None for all) · ("severity", new, reason)
#   ("public", {public wording}) · ("publish", template kind, {sender fields}): the
#   communications lead's customer-facing side (incidents.demo.public_side); customers
#   only ever read the public wording, never the internal title, summary or notes.
IC, TL, CL, SL = (
    ResponseRole.INCIDENT_COMMANDER,
    ResponseRole.TECHNICAL_LEAD,
    ResponseRole.COMMUNICATIONS_LEAD,
    ResponseRole.SECURITY_LEAD,
)
DAY = 24 * 60
STATUS_PAGE = "status.harborlist.example"

DEMO_SCENARIOS = (
    {
        "ago": timedelta(days=41, hours=3, minutes=12),
        "by": "omar.commander",
        "title": "Checkout down: card payments failing with 502 from payments service",
        "severity": Severity.P0,
        "type": IncidentType.SERVICE_OUTAGE,
        "detection_source": DetectionSource.CLOUDWATCH_ALARM,
        "started_minutes_before": 6,
        "services": ["payments", "api", "web-app"],
        "summary": (
            "CloudWatch alarm payments-5xx-rate > 50 % for 3 minutes. Every card payment "
            "(featured-listing upgrades and berth-booking deposits) returned 502."
        ),
        "details": {
            "users_affected": 3120,
            "customer_impact": (
                "Sellers could not pay for featured listings and buyers could not place "
                "berth-booking deposits for 47 minutes."
            ),
            "business_impact": (
                "About EUR 18,000 of featured-listing revenue delayed; 212 abandoned deposit "
                "checkouts, 164 recovered by the retry e-mail."
            ),
        },
        "steps": [
            (2, "omar.commander", "ack"),
            (3, "omar.commander", "role", IC, "omar.commander"),
            (4, "omar.commander", "status", Status.TRIAGED, {}),
            (5, "omar.commander", "role", TL, "tomas.techlead"),
            (6, "omar.commander", "role", CL, "clara.comms"),
            (8, "omar.commander", "tick", "triage", None),
            (10, "tomas.techlead", "status", Status.INVESTIGATING, {}),
            (
                13,
                "tomas.techlead",
                "note",
                "payments pods crash-looping since 14:02 UTC, right after deploy "
                "payments-2025.10.7 (DB connection pool size read as 0 from the new config).",
            ),
            (
                14,
                "clara.comms",
                "public",
                {
                    "public_title": "Card payments failing at checkout",
                    "public_summary": (
                        "Payments for featured listings and berth-booking deposits cannot be "
                        "completed at the moment. Cards are not charged for failed attempts."
                    ),
                    "public_impact": (
                        "Sellers cannot upgrade listings to featured and buyers cannot pay "
                        "berth-booking deposits. Browsing and enquiries work normally."
                    ),
                },
            ),
            (
                15,
                "clara.comms",
                "publish",
                "initial",
                {"eta": "Next update within 30 minutes", "updates": STATUS_PAGE},
            ),
            (
                16,
                "clara.comms",
                "note",
                "Support macro published for sellers asking about failed upgrades.",
            ),
            (
                26,
                "tomas.techlead",
                "status",
                Status.CONTAINED,
                {"reason": "Rolled back to payments-2025.10.6"},
            ),
            (27, "tomas.techlead", "tick", "Immediate containment", 3),
            (
                29,
                "clara.comms",
                "publish",
                "update",
                {
                    "progress": "We found the cause in a change made earlier today and "
                    "reversed it. Payments are recovering.",
                    "next_steps": "Watching payments closely and retrying deposits that failed.",
                    "eta": "Full recovery expected within 30 minutes",
                },
            ),
            (
                47,
                "tomas.techlead",
                "note",
                "Error rate back to baseline; 212 failed deposits queued for retry.",
            ),
            (50, "tomas.techlead", "tick", "System restoration", None),
            (
                95,
                "tomas.techlead",
                "status",
                Status.RESOLVED,
                {
                    "resolution_summary": (
                        "Config key renamed back, pool size validated at start-up, "
                        "payments-2025.10.8 deployed after a staging load test. Failed "
                        "deposits retried; sellers e-mailed."
                    )
                },
            ),
            (96, "tomas.techlead", "tick", "Resolution process", None),
            (
                97,
                "clara.comms",
                "public",
                {
                    "public_resolution": (
                        "Card payments work normally again. Deposits that failed during the "
                        "outage were retried automatically, and affected sellers were e-mailed."
                    )
                },
            ),
            (
                98,
                "clara.comms",
                "publish",
                "resolution",
                {
                    "root_cause": "A configuration change left our payment service unable "
                    "to reach its database.",
                    "prevention": "Configuration is now checked before a release goes live, "
                    "and payment releases are load-tested first.",
                },
            ),
            (
                5 * DAY,
                "omar.commander",
                "status",
                Status.CLOSED,
                {"reason": "Post-mortem reviewed; 4 action items filed"},
            ),
        ],
    },
    {
        # Need-to-know demo: security category; rita.responder holds a role and can see it,
        # li.responder and omar.commander cannot (sam.security sees it through his group).
        "ago": timedelta(hours=7, minutes=5),
        "by": "sam.security",
        "title": "Credential stuffing: dealer accounts accessed from a residential proxy network",
        "severity": Severity.P1,
        "type": IncidentType.UNAUTHORIZED_ACCESS,
        "detection_source": DetectionSource.SECURITY_EVENT,
        "started_minutes_before": 95,
        "services": ["auth", "api"],
        "summary": (
            "WAF and auth logs: ~1,400 failed logins a minute from 2,300 IPs; 38 successful "
            "logins to dealer accounts without MFA."
        ),
        "details": {
            "users_affected": 38,
            "personal_data_involved": True,
            "security_implications": (
                "Attackers could read enquiry contact details (names, e-mail addresses, phone "
                "numbers) in 38 dealer inboxes and edit their listings."
            ),
            "customer_impact": "38 dealers forced to reset passwords; no listing was altered.",
        },
        "steps": [
            (3, "sam.security", "ack"),
            (4, "sam.security", "role", SL, "sam.security"),
            (5, "sam.security", "role", IC, "ines.commander"),
            (6, "ines.commander", "status", Status.TRIAGED, {}),
            (8, "ines.commander", "role", TL, "rita.responder"),
            (9, "ines.commander", "tick", "triage", None),
            (12, "sam.security", "status", Status.INVESTIGATING, {}),
            (
                20,
                "sam.security",
                "note",
                "Password list matches the 2024 'marina-forum' leak. No MFA on any of the 38 "
                "accounts. Sessions exported to the evidence bucket.",
            ),
            (
                55,
                "sam.security",
                "status",
                Status.CONTAINED,
                {"reason": "Login rate limit per /24, forced reset and sessions revoked"},
            ),
            (56, "sam.security", "tick", "Security containment", None),
            (
                70,
                "ines.commander",
                "note",
                "DPO informed at 10:40; breach assessment to be completed before end of day.",
            ),
            (
                90,
                "rita.responder",
                "note",
                "Listing audit log checked for the 38 accounts: no edits by the attacker.",
            ),
        ],
    },
    {
        "ago": timedelta(days=4, hours=6),
        "by": "sam.security",
        "title": "Layer-7 flood on /search from a botnet",
        "severity": Severity.P1,
        "type": IncidentType.DDOS,
        "detection_source": DetectionSource.CLOUDWATCH_ALARM,
        "started_minutes_before": 4,
        "services": ["search", "web-app"],
        "summary": "Requests to /search at 40x normal from ~9,000 IPs; search p95 at 6 s.",
        "details": {
            "users_affected": 15000,
            "security_implications": "Availability only; no sign of data access.",
        },
        "steps": [
            (2, "sam.security", "ack"),
            (3, "sam.security", "role", SL, "sam.security"),
            (4, "sam.security", "role", IC, "omar.commander"),
            (5, "omar.commander", "status", Status.TRIAGED, {}),
            (8, "sam.security", "status", Status.INVESTIGATING, {}),
            (9, "omar.commander", "role", CL, "clara.comms"),
            (
                14,
                "clara.comms",
                "public",
                {
                    "public_title": "Listing search slow or failing to load",
                    "public_summary": (
                        "Listing search on the website is slow and sometimes fails to load "
                        "because of unusually heavy traffic. We are filtering that traffic."
                    ),
                    "public_impact": (
                        "Searches can take several seconds or time out. Listing pages, saved "
                        "boats and enquiries work normally."
                    ),
                },
            ),
            (
                15,
                "clara.comms",
                "publish",
                "initial",
                {"eta": "Next update within the hour", "updates": STATUS_PAGE},
            ),
            (
                35,
                "sam.security",
                "status",
                Status.CONTAINED,
                {"reason": "WAF rate-based rule and bot challenge on /search"},
            ),
            (
                50,
                "omar.commander",
                "severity",
                Severity.P2,
                "Contained at the edge; no customer impact since the WAF rule",
            ),
            (
                300,
                "sam.security",
                "status",
                Status.RESOLVED,
                {
                    "resolution_summary": (
                        "Flood stopped after 4 h; WAF rule kept permanently with a higher "
                        "threshold. Search autoscaling limits raised."
                    )
                },
            ),
            (
                302,
                "clara.comms",
                "public",
                {
                    "public_resolution": (
                        "Listing search is back to its normal speed. The protection we added "
                        "against this kind of traffic stays in place."
                    )
                },
            ),
            (
                303,
                "clara.comms",
                "publish",
                "resolution",
                {
                    "root_cause": "Unusually heavy automated traffic to listing search.",
                    "prevention": "Automated traffic to search is now filtered permanently, "
                    "and search has more spare capacity.",
                },
            ),
        ],
    },
    {
        "ago": timedelta(hours=2, minutes=10),
        "by": "li.responder",
        "title": "Listing search p95 latency at 9 s after losing an OpenSearch data node",
        "severity": Severity.P2,
        "type": IncidentType.PERFORMANCE_DEGRADATION,
        "detection_source": DetectionSource.APM,
        "started_minutes_before": 12,
        "services": ["search", "web-app", "mobile-app"],
        "summary": "APM: search p95 9.2 s (normal 350 ms); enquiries down 30 % in the last hour.",
        "details": {"users_affected": 8400},
        "steps": [
            (6, "li.responder", "ack"),
            (9, "li.responder", "role", TL, "priya.techlead"),
            (12, "priya.techlead", "status", Status.TRIAGED, {}),
            (
                25,
                "ines.commander",
                "severity",
                Severity.P1,
                "Web and mobile both affected; enquiries down 30 %",
            ),
            (26, "ines.commander", "role", IC, "ines.commander"),
            (28, "ines.commander", "role", CL, "clara.comms"),
            (30, "priya.techlead", "status", Status.INVESTIGATING, {}),
            (
                38,
                "clara.comms",
                "public",
                {
                    "public_title": "Search is slow on the website and apps",
                    "public_summary": (
                        "Listing search is slower than usual on the website and in the mobile "
                        "apps. We are restoring capacity in our search system."
                    ),
                    "public_impact": (
                        "Search results can take up to ten seconds to appear. Listing pages, "
                        "saved boats and enquiries work normally."
                    ),
                },
            ),
            (
                40,
                "clara.comms",
                "publish",
                "initial",
                {"eta": "Next update within the hour", "updates": STATUS_PAGE},
            ),
            (
                45,
                "priya.techlead",
                "note",
                "Node os-data-3 lost its EBS volume; shards relocating, 2 of 3 replicas "
                "rebuilding. Cluster yellow.",
            ),
            (80, "priya.techlead", "tick", "investigation", 4),
        ],
    },
    {
        "ago": timedelta(days=1, hours=6),
        "by": "omar.commander",
        "title": "Listing prices shown 100x too high after currency-conversion migration",
        "severity": Severity.P0,
        "type": IncidentType.DATA_CORRUPTION,
        "detection_source": DetectionSource.SOCIAL_MEDIA,
        "started_minutes_before": 55,
        "services": ["listings-db", "web-app", "dealer-feeds"],
        "summary": (
            "Sellers on social media: a 2012 Bavaria 37 listed at EUR 6,450,000. The nightly "
            "currency job converted minor units twice for every EUR and GBP listing."
        ),
        "details": {
            "users_affected": 48210,
            "data_integrity_impact": (
                "list_price wrong on 48,210 listings; price-drop alerts sent for 1,900 of them."
            ),
            "customer_impact": "Buyers saw absurd prices; price filters returned nothing.",
            "business_impact": "Enquiries down 60 % for 4 hours; a boating site asked for comment.",
        },
        "steps": [
            (3, "omar.commander", "ack"),
            (4, "omar.commander", "role", IC, "omar.commander"),
            (5, "omar.commander", "status", Status.TRIAGED, {}),
            (6, "omar.commander", "role", TL, "priya.techlead"),
            (7, "omar.commander", "role", CL, "clara.comms"),
            (10, "priya.techlead", "status", Status.INVESTIGATING, {}),
            (
                30,
                "priya.techlead",
                "status",
                Status.CONTAINED,
                {"reason": "Prices hidden behind 'price on request'; currency job paused"},
            ),
            (
                38,
                "clara.comms",
                "public",
                {
                    "public_title": "Some listing prices shown incorrectly",
                    "public_summary": (
                        "Prices on many boat listings were shown far higher than the price "
                        "set by the seller. Affected prices show as “price on request” while "
                        "we correct them."
                    ),
                    "public_impact": (
                        "Buyers may see wrong prices or “price on request”, and price filters "
                        "may leave out affected boats. Enquiries work normally."
                    ),
                },
            ),
            (
                39,
                "clara.comms",
                "publish",
                "initial",
                {"eta": "Within a few hours", "updates": STATUS_PAGE},
            ),
            (
                40,
                "clara.comms",
                "note",
                "Banner on listing pages; e-mail to dealers explaining the wrong prices.",
            ),
            (
                240,
                "priya.techlead",
                "status",
                Status.RESOLVED,
                {
                    "resolution_summary": (
                        "list_price restored from the 03:00 snapshot for 48,210 listings; "
                        "double conversion fixed in the currency job."
                    )
                },
            ),
            (
                242,
                "clara.comms",
                "public",
                {
                    "public_resolution": (
                        "All listing prices are correct again and price filters work normally."
                    )
                },
            ),
            (
                243,
                "clara.comms",
                "publish",
                "resolution",
                {
                    "root_cause": "A nightly price update applied a currency conversion twice.",
                    "prevention": "The conversion is now checked against real listings "
                    "before every run.",
                },
            ),
            (
                600,
                "priya.techlead",
                "status",
                Status.INVESTIGATING,
                {"reason": "Recurrence: 1,140 dealer-feed imports overnight still 100x"},
            ),
            (
                615,
                "clara.comms",
                "publish",
                "update",
                {
                    "progress": "Some prices imported from dealer feeds overnight are wrong "
                    "again; we have hidden those prices.",
                    "next_steps": "Correcting the affected listings and fixing the import.",
                    "eta": "Within a few hours",
                },
            ),
            (
                660,
                "priya.techlead",
                "note",
                "Dealer-feed importer has its own copy of the conversion code.",
            ),
            (830, "priya.techlead", "tick", "Data recovery", None),
            (
                840,
                "priya.techlead",
                "status",
                Status.RESOLVED,
                {
                    "resolution_summary": (
                        "Importer fixed to use the shared conversion; 1,140 listings "
                        "re-imported; price range check constraint added."
                    )
                },
            ),
            (
                842,
                "clara.comms",
                "public",
                {
                    "public_resolution": (
                        "All listing prices, including those imported from dealer feeds, are "
                        "correct again. Implausible prices are now stopped before they are "
                        "published."
                    )
                },
            ),
            (
                843,
                "clara.comms",
                "publish",
                "resolution",
                {
                    "root_cause": "Dealer-feed imports used an older copy of the same "
                    "currency conversion.",
                    "prevention": "Every import now uses the shared conversion, and "
                    "implausible prices are rejected.",
                },
            ),
        ],
    },
    {
        "ago": timedelta(days=13, hours=2),
        "by": "rita.responder",
        "title": "Release 2025.11.3 stopped saved-search e-mail digests",
        "severity": Severity.P2,
        "type": IncidentType.DEPLOYMENT_ISSUE,
        "detection_source": DetectionSource.SUPPORT_TICKET,
        "started_minutes_before": 16 * 60,
        "services": ["notifications"],
        "summary": "Nine support tickets: no saved-search digest since yesterday's release.",
        "details": {"users_affected": 61300},
        "steps": [
            (40, "rita.responder", "ack"),
            (45, "rita.responder", "status", Status.TRIAGED, {}),
            (50, "rita.responder", "role", TL, "tomas.techlead"),
            (60, "tomas.techlead", "status", Status.INVESTIGATING, {}),
            (
                90,
                "clara.comms",
                "public",
                {
                    "public_title": "Saved-search e-mails delayed",
                    "public_summary": "Daily saved-search e-mails were not sent for about a day.",
                    "public_impact": (
                        "Subscribers did not receive their saved-search e-mails; search and "
                        "listings work normally."
                    ),
                },
            ),
            (
                95,
                "tomas.techlead",
                "note",
                "Digest job fails on a renamed template variable (saved_search.url → "
                "saved_search.link) in 2025.11.3.",
            ),
            (
                150,
                "tomas.techlead",
                "status",
                Status.RESOLVED,
                {
                    "resolution_summary": (
                        "Hotfix 2025.11.4 deployed; missed digests re-sent to 61,300 "
                        "subscribers; template render test added to CI."
                    )
                },
            ),
            (
                155,
                "clara.comms",
                "public",
                {
                    "public_resolution": (
                        "The missed e-mails have been sent and saved-search e-mails are back on "
                        "schedule."
                    )
                },
            ),
            (DAY + 120, "rita.responder", "status", Status.CLOSED, {}),
        ],
    },
    {
        "ago": timedelta(hours=26),
        "by": "li.responder",
        "title": "Boat length shown in metres on US listing pages",
        "severity": Severity.P3,
        "type": IncidentType.UI_ISSUE,
        "detection_source": DetectionSource.SUPPORT_TICKET,
        "services": ["web-app"],
        "summary": "US buyers see 'LOA 12.2 m' instead of '40 ft' on listings from EU dealers.",
        "steps": [
            (180, "li.responder", "ack"),
            (200, "li.responder", "status", Status.TRIAGED, {}),
            (
                210,
                "li.responder",
                "note",
                "Unit preference is ignored when the listing was created by an EU dealer.",
            ),
            (
                215,
                "clara.comms",
                "public",
                {
                    "public_title": "Boat lengths shown in metres for some US visitors",
                    "public_summary": (
                        "Some listings from European dealers show boat length in metres even "
                        "when feet are chosen."
                    ),
                    "public_impact": "Lengths are correct, only shown in the other unit.",
                },
            ),
        ],
    },
    {
        "ago": timedelta(hours=9),
        "by": "rita.responder",
        "title": "Android app 5.14 crashes when opening the photo gallery",
        "severity": Severity.P2,
        "type": IncidentType.MOBILE_APP_CRASH,
        "detection_source": DetectionSource.APM,
        "services": ["mobile-app", "media-cdn"],
        "summary": "Crash-free sessions on Android 5.14 fell from 99.6 % to 96.4 %.",
        "details": {"users_affected": 2100},
        "steps": [
            (20, "rita.responder", "ack"),
            (30, "rita.responder", "status", Status.TRIAGED, {}),
            (35, "rita.responder", "role", TL, "tomas.techlead"),
            (60, "tomas.techlead", "status", Status.INVESTIGATING, {}),
            (
                90,
                "tomas.techlead",
                "note",
                "Out-of-memory in PhotoPagerFragment for listings with more than 40 photos; "
                "full-size images decoded instead of thumbnails.",
            ),
            (100, "tomas.techlead", "tick", "investigation", 2),
            (
                105,
                "clara.comms",
                "public",
                {
                    "public_title": "Android app closes when viewing photos",
                    "public_summary": (
                        "The HarborList Android app (version 5.14) may close when opening the "
                        "photo gallery of listings with many photos."
                    ),
                    "public_impact": (
                        "Some Android users cannot browse every photo of a listing; the website "
                        "and the iOS app work normally."
                    ),
                },
            ),
        ],
    },
    {
        # Unacknowledged and past its 4 h response time: shows an overdue SLA.
        "ago": timedelta(hours=5),
        "by": "rita.responder",
        "title": "YachtBroker XML feed import failing since 02:00 (HTTP 401)",
        "severity": Severity.P2,
        "type": IncidentType.INTEGRATION_PROBLEM,
        "detection_source": DetectionSource.CLOUDWATCH_ALARM,
        "started_minutes_before": 20,
        "services": ["dealer-feeds"],
        "summary": "Alarm dealer-feed-failures: 14 consecutive failed imports for 212 dealers.",
        "steps": [],
    },
    {
        # Just detected: the response clock is still running.
        "ago": timedelta(minutes=20),
        "by": "li.responder",
        "title": "Partner API returning 429 to marina booking partner BerthHub",
        "severity": Severity.P3,
        "type": IncidentType.API_FAILURE,
        "detection_source": DetectionSource.THIRD_PARTY,
        "services": ["api"],
        "summary": "BerthHub reports 429 Too Many Requests on availability sync since 09:10.",
        "steps": [],
    },
    {
        "ago": timedelta(days=6, hours=1),
        "by": "li.responder",
        "title": "Disk space alarm on listings-db replica 2",
        "severity": Severity.P2,
        "type": IncidentType.INFRASTRUCTURE_FAILURE,
        "detection_source": DetectionSource.CLOUDWATCH_ALARM,
        "services": ["listings-db"],
        "summary": "Alarm: free storage below 5 % on listings-db-replica-2.",
        "steps": [
            (12, "li.responder", "ack"),
            (20, "li.responder", "status", Status.TRIAGED, {}),
            (
                35,
                "li.responder",
                "status",
                Status.CANCELLED,
                {
                    "cancel_reason": (
                        "False alarm: the alarm watched the old volume after the replica "
                        "rebuild; real usage is 41 %. Alarm fixed."
                    )
                },
            ),
        ],
    },
    {
        "ago": timedelta(days=22, hours=4),
        "by": "rita.responder",
        "title": "Enquiry form rejects UK phone numbers containing spaces",
        "severity": Severity.P3,
        "type": IncidentType.SOFTWARE_BUG,
        "detection_source": DetectionSource.USER_ERROR_REPORT,
        "services": ["web-app"],
        "summary": "Form error 'invalid phone number' for numbers like '07700 900123'.",
        "details": {"users_affected": 17},
        "steps": [
            (300, "rita.responder", "ack"),
            (320, "rita.responder", "status", Status.TRIAGED, {}),
            (330, "rita.responder", "role", TL, "tomas.techlead"),
            (DAY, "tomas.techlead", "status", Status.INVESTIGATING, {}),
            (
                DAY + 60,
                "tomas.techlead",
                "status",
                Status.RESOLVED,
                {
                    "resolution_summary": (
                        "Phone validation normalises spaces and the +44 prefix; 17 rejected "
                        "enquiries recovered from logs and delivered."
                    )
                },
            ),
            (3 * DAY, "rita.responder", "status", Status.CLOSED, {}),
        ],
    },
    {
        "ago": timedelta(days=62),
        "by": "sam.security",
        "title": "DRILL: ransomware detected on a customer-support laptop",
        "severity": Severity.P1,
        "type": IncidentType.MALWARE,
        "detection_source": DetectionSource.SECURITY_EVENT,
        "is_drill": True,
        "services": ["auth"],
        "summary": "Quarterly simulation: EDR flags file encryption on a support laptop.",
        "details": {"security_implications": "Simulated: support agent has CRM access."},
        "steps": [
            (3, "sam.security", "ack"),
            (4, "sam.security", "role", SL, "sam.security"),
            (5, "sam.security", "role", IC, "ines.commander"),
            (6, "ines.commander", "role", CL, "clara.comms"),
            (7, "ines.commander", "status", Status.TRIAGED, {}),
            (12, "sam.security", "status", Status.INVESTIGATING, {}),
            (
                25,
                "sam.security",
                "status",
                Status.CONTAINED,
                {"reason": "Laptop isolated by EDR; agent's SSO sessions revoked"},
            ),
            (26, "sam.security", "tick", "Security containment", None),
            (
                90,
                "sam.security",
                "status",
                Status.RESOLVED,
                {"resolution_summary": "Drill: laptop re-imaged; no spread found in the drill."},
            ),
            (
                DAY,
                "ines.commander",
                "status",
                Status.CLOSED,
                {"reason": "Drill debrief held; 3 improvements filed"},
            ),
        ],
    },
)
