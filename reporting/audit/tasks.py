"""Beat tasks of the audit log: seal new history rows, verify the chain. Thin, idempotent."""

import logging

from celery import shared_task

from .sealing import seal_pending
from .verification import verify_new_segments

logger = logging.getLogger(__name__)


@shared_task(name="reporting.seal_audit")
def seal_audit() -> int:
    return seal_pending().sealed


@shared_task(name="reporting.verify_audit")
def verify_audit(full: bool = False) -> bool:
    run = verify_new_segments(full=full)
    if not run.ok:
        logger.error("Audit verification failed at %s: %s", run.first_bad_sequence, run.message)
        return False
    if run.last_hash:
        # Kept in the logs, outside the database: proof of how far the chain went.
        logger.info(
            "Audit chain verified; signed head %s:%s (pass it to verify_audit --expect)",
            run.last_sequence,
            run.last_hash,
        )
    return True


@shared_task(name="reporting.verify_audit_full")
def verify_audit_full() -> bool:
    """The whole chain from sequence 1: catches edits to segments verified earlier."""
    return verify_audit(full=True)
