"""Pure preparedness rules: quarter arithmetic, due dates, duty status, training expiry and
reminder schedules. No ORM, no clock of its own: `now` / `today` is passed in.

The calendar (UTC), documented in docs/preparedness.md:
- the procedure review of a quarter is due on the last day of the quarter's first month;
- contact information is verified by the 15th of the quarter's first month;
- the quarterly drill is scheduled for the second Tuesday of the quarter's second month,
  14:00 UTC (the facilitator may move it);
- training is valid for TRAINING_VALIDITY_MONTHS after completion.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from incidents.choices import IncidentType, Severity

from .choices import DutyStatus, TrainingValidity

QUARTER_RE = re.compile(r"^(\d{4})-Q([1-4])$")

VERIFICATION_DUE_DAY = 15
DRILL_WEEKDAY = calendar.TUESDAY
DRILL_WEEK_OF_MONTH = 2
DRILL_HOUR_UTC = 14
DUE_SOON_DAYS = 7  # "due" status and the first reminder start this many days before
REMINDER_HOUR_UTC = 8  # reminders go out in the (European) morning, not at midnight
OVERDUE_NAG_EVERY_DAYS = 7
MAX_OVERDUE_NAGS = 8
TRAINING_VALIDITY_MONTHS = 12  # default; settings.HARBORMASTER_TRAINING_VALIDITY_MONTHS wins
TRAINING_EXPIRY_WARNING_DAYS = 30


# --- quarters --------------------------------------------------------------------------------
def parse_quarter(quarter: str) -> tuple[int, int]:
    """ "2027-Q1" -> (2027, 1). ValueError on anything else."""
    match = QUARTER_RE.match(quarter or "") if isinstance(quarter, str) else None
    if match is None:
        raise ValueError(f"Not a quarter: {quarter!r} (expected e.g. 2027-Q1).")
    year, number = int(match[1]), int(match[2])
    if not 1 <= year <= 9998:
        raise ValueError(f"Year out of range in {quarter!r}.")
    return year, number


def quarter_label(year: int, number: int) -> str:
    return f"{year:04d}-Q{number}"


def quarter_of(moment: date | datetime) -> str:
    """The quarter a moment (UTC for datetimes) or a day falls in."""
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("quarter_of needs an aware datetime.")
        moment = moment.astimezone(UTC).date()
    return quarter_label(moment.year, (moment.month - 1) // 3 + 1)


def quarter_first_day(quarter: str) -> date:
    year, number = parse_quarter(quarter)
    return date(year, 3 * (number - 1) + 1, 1)


def next_quarter(quarter: str) -> str:
    year, number = parse_quarter(quarter)
    return quarter_label(year + 1, 1) if number == 4 else quarter_label(year, number + 1)


def previous_quarter(quarter: str) -> str:
    year, number = parse_quarter(quarter)
    return quarter_label(year - 1, 4) if number == 1 else quarter_label(year, number - 1)


def quarter_bounds(quarter: str) -> tuple[datetime, datetime]:
    """[start, end) of the quarter in UTC: "2026-Q3" -> (2026-07-01 00:00, 2026-10-01 00:00)."""
    start = quarter_first_day(quarter)
    year, number = parse_quarter(quarter)
    end = date(year + 1, 1, 1) if number == 4 else date(year, start.month + 3, 1)
    return _midnight(start), _midnight(end)


def quarter_last_day(quarter: str) -> date:
    return quarter_bounds(quarter)[1].date() - timedelta(days=1)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=UTC)


# --- due dates -------------------------------------------------------------------------------
def review_due_on(quarter: str) -> date:
    """Last day of the quarter's first month."""
    first = quarter_first_day(quarter)
    return first.replace(day=calendar.monthrange(first.year, first.month)[1])


def verification_due_on(quarter: str) -> date:
    return quarter_first_day(quarter).replace(day=VERIFICATION_DUE_DAY)


def drill_scheduled_for(quarter: str) -> datetime:
    """Second Tuesday of the quarter's second month, 14:00 UTC."""
    first = quarter_first_day(quarter)
    month_start = first.replace(month=first.month + 1)
    offset = (DRILL_WEEKDAY - month_start.weekday()) % 7
    day = month_start + timedelta(days=offset + 7 * (DRILL_WEEK_OF_MONTH - 1))
    return datetime.combine(day, time(DRILL_HOUR_UTC), tzinfo=UTC)


@dataclass(frozen=True)
class DrillPlan:
    title: str
    incident_type: str
    severity: str
    scenario: str


# "Scenarios: various incident types": the quarterly drill rotates through these, so over
# two years every category (security, operational, application) is practised twice.
DRILL_ROTATION = (
    DrillPlan(
        "Ransomware on a build server",
        IncidentType.MALWARE,
        Severity.P1,
        "Endpoint protection flags encryption activity on a CI build server. Contain the "
        "host, assess spread and data access, decide on notification.",
    ),
    DrillPlan(
        "Primary database unavailable",
        IncidentType.SERVICE_OUTAGE,
        Severity.P0,
        "The primary PostgreSQL cluster stops accepting connections during peak hours. "
        "Fail over, communicate on the status page, verify data integrity.",
    ),
    DrillPlan(
        "Payment provider API failing",
        IncidentType.INTEGRATION_PROBLEM,
        Severity.P1,
        "Card payments fail with 5xx from the payment provider. Detect, route around, keep "
        "customers informed and reconcile afterwards.",
    ),
    DrillPlan(
        "Customer records exposed",
        IncidentType.DATA_BREACH,
        Severity.P0,
        "A misconfigured storage bucket exposed customer records. Run the breach assessment, "
        "regulatory clocks and customer communication.",
    ),
    DrillPlan(
        "Bad deployment degrades search",
        IncidentType.DEPLOYMENT_ISSUE,
        Severity.P2,
        "A release doubles search latency. Identify the change, roll back, write the post-mortem.",
    ),
    DrillPlan(
        "Credential stuffing against logins",
        IncidentType.UNAUTHORIZED_ACCESS,
        Severity.P1,
        "A wave of logins from rotating IPs takes over customer accounts. Block, reset, "
        "notify the affected users.",
    ),
    DrillPlan(
        "Mobile app crashes on start",
        IncidentType.MOBILE_APP_CRASH,
        Severity.P2,
        "The latest mobile release crashes on launch for one OS version. Coordinate with "
        "the store, support and status page.",
    ),
    DrillPlan(
        "Volumetric DDoS on the public site",
        IncidentType.DDOS,
        Severity.P1,
        "Traffic to the public site rises 50-fold. Engage mitigation, protect the API, keep "
        "stakeholders updated.",
    ),
)


def drill_plan_for(quarter: str) -> DrillPlan:
    year, number = parse_quarter(quarter)
    return DRILL_ROTATION[(year * 4 + number - 1) % len(DRILL_ROTATION)]


# --- status ----------------------------------------------------------------------------------
def duty_status(*, due_on: date, done: bool, today: date) -> str:
    """done; overdue once the due day has passed; due within DUE_SOON_DAYS; else scheduled."""
    if done:
        return DutyStatus.DONE
    overdue_before, due_until = status_window(today)
    if due_on < overdue_before:
        return DutyStatus.OVERDUE
    if due_on <= due_until:
        return DutyStatus.DUE
    return DutyStatus.SCHEDULED


def status_window(today: date) -> tuple[date, date]:
    """(overdue when due before this day, due when due on or before this day): the same
    boundaries the admin filters use in SQL."""
    return today, today + timedelta(days=DUE_SOON_DAYS)


def today_utc(now: datetime) -> date:
    return now.astimezone(UTC).date()


# --- training --------------------------------------------------------------------------------
def add_months(day: date, months: int) -> date:
    """Calendar months, clamped to the month's end (29 Feb + 12 months = 28 Feb)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, last))


def training_expires_on(completed_on: date, months: int = TRAINING_VALIDITY_MONTHS) -> date:
    if months < 1:
        raise ValueError("Training validity must be at least one month.")
    return add_months(completed_on, months)


def training_validity(*, completed_on: date, expires_on: date, today: date) -> str:
    """A record is current on the days [completed_on, expires_on)."""
    if today < completed_on:
        return TrainingValidity.NOT_YET
    if today >= expires_on:
        return TrainingValidity.EXPIRED
    if today >= expires_on - timedelta(days=TRAINING_EXPIRY_WARNING_DAYS):
        return TrainingValidity.EXPIRING
    return TrainingValidity.CURRENT


# --- reminders -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Reminder:
    key: str  # part of the outbox idempotency key: each stage is sent at most once
    at: datetime
    label: str


def _morning(day: date) -> datetime:
    return datetime.combine(day, time(REMINDER_HOUR_UTC), tzinfo=UTC)


def duty_reminder_plan(*, due_on: date, stop_on: date | None = None) -> list[Reminder]:
    """A week before, on the due day, then every OVERDUE_NAG_EVERY_DAYS while it is overdue
    (at most MAX_OVERDUE_NAGS, and not on or after `stop_on`, e.g. the quarter's end when the
    next quarter's duty takes over)."""
    plan = [
        Reminder("upcoming", _morning(due_on - timedelta(days=DUE_SOON_DAYS)), "due in a week"),
        Reminder("due", _morning(due_on), "due today"),
    ]
    for number in range(1, MAX_OVERDUE_NAGS + 1):
        day = due_on + timedelta(days=1 + OVERDUE_NAG_EVERY_DAYS * (number - 1))
        if stop_on is not None and day >= stop_on:
            break
        plan.append(Reminder(f"overdue-{number}", _morning(day), "overdue"))
    return plan


def training_reminder_plan(*, expires_on: date) -> list[Reminder]:
    return [
        Reminder(
            "expiring",
            _morning(expires_on - timedelta(days=TRAINING_EXPIRY_WARNING_DAYS)),
            f"expires within {TRAINING_EXPIRY_WARNING_DAYS} days",
        ),
        Reminder("expired", _morning(expires_on), "has expired"),
    ]


def reminder_to_send(plan: list[Reminder], *, sent: int, now: datetime) -> int | None:
    """Index of the stage to send now: the latest not-yet-sent stage whose time has come.
    Stages skipped over (the sweep did not run, or the row was created late) are not sent
    late one by one; only the newest applies."""
    due = [index for index in range(sent, len(plan)) if plan[index].at <= now]
    return due[-1] if due else None


def next_reminder_at(plan: list[Reminder], *, sent: int) -> datetime | None:
    return plan[sent].at if sent < len(plan) else None
