"""Quarterly contact verification: every responder confirms (or corrects) the contact details
escalation reaches them at."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction

from incidents.kernel.errors import DomainError
from incidents.kernel.history import history_save
from incidents.models import ContactPoint

from .. import domain
from ..models import ContactVerification
from ..selectors import responders
from .common import create_once, duty_clock_reset, pk_of, valid_quarter

MANAGE_VERIFICATIONS_PERM = "reporting.change_contactverification"


@transaction.atomic
def contact_verification_open_for_quarter(
    *, quarter: str, now: datetime, by=None
) -> list[ContactVerification]:
    """One verification per active responder (members of the response-role staff groups,
    auditors excepted) for the quarter; returns the ones created now."""
    quarter = valid_quarter(quarter)
    due_on = domain.verification_due_on(quarter)
    # Someone who joins mid-quarter gets a week from now rather than a past due date.
    due_on = max(due_on, domain.today_utc(now) + timedelta(days=domain.DUE_SOON_DAYS))
    already = set(
        ContactVerification.objects.filter(quarter=quarter).values_list("user_id", flat=True)
    )
    stop_on = domain.quarter_bounds(quarter)[1].date()
    created = []
    for person in responders().exclude(pk__in=already):
        verification = ContactVerification(
            user=person, quarter=quarter, due_on=due_on, opened_at=now
        )
        duty_clock_reset(verification, due_on=due_on, stop_on=stop_on)
        verification, new = create_once(
            verification,
            user=by,
            reason=f"Contact verification opened for {quarter}",
            lookup={"user": person, "quarter": quarter},
        )
        if new:
            created.append(verification)
    return created


@transaction.atomic
def contact_verification_confirm(
    *,
    verification: ContactVerification | int,
    by,
    now: datetime,
    email: str | None = None,
    chat_handle: str | None = None,
) -> ContactVerification:
    """The responder (or a manager of verifications) confirms the contact details; given
    `email` / `chat_handle` update them first. Stamps ContactPoint.verified_at."""
    locked = (
        ContactVerification.objects.select_for_update()
        .select_related("user")
        .get(pk=pk_of(verification))
    )
    if by is None or not (by.pk == locked.user_id or by.has_perm(MANAGE_VERIFICATIONS_PERM)):
        raise DomainError("Only the person themselves or an incident commander can confirm.")
    if locked.is_done and email is None and chat_handle is None:
        return locked  # confirming twice changes nothing
    contact = ContactPoint.objects.select_for_update().filter(user=locked.user).first()
    contact = contact or ContactPoint(user=locked.user)
    changed = []
    if email is not None and email.strip() != contact.email:
        contact.email = email.strip()
        changed.append("email")
    if chat_handle is not None and chat_handle.strip() != contact.chat_handle:
        contact.chat_handle = chat_handle.strip()
        changed.append("chat handle")
    if not (contact.email or locked.user.email):
        raise DomainError("There is no email address to confirm; enter one.", field="email")
    contact.verified_at = now
    suffix = f" (updated {', '.join(changed)})" if changed else ""
    history_save(contact, user=by, reason=f"Contact details verified for {locked.quarter}{suffix}")
    locked.verified_at = now
    locked.verified_by = by
    locked.next_reminder_at = None
    locked.confirmed_contact = {
        "email": contact.email or locked.user.email,
        "chat_handle": contact.chat_handle,
        "accepts_email": contact.accepts_email,
        "accepts_chat": contact.accepts_chat,
    }
    history_save(locked, user=by, reason=f"Contact details confirmed{suffix}")
    return locked
