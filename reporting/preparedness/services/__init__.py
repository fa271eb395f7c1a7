"""Every write of the preparedness area, one module per duty. One transaction each; history
user and reason on every save; reminders go through the notification outbox with one
idempotency key per reminder stage, so a stage is never sent twice. The quarterly openers are
idempotent: running them late, twice or concurrently creates each item once.
`from reporting.preparedness import services; services.drill_create(...)` keeps working: the
public services are re-exported here.

  reviews.py    quarterly procedure reviews
  drills.py     drills (scheduled, extra, run as incident, outcome)
  training.py   training records
  contacts.py   quarterly contact verification
  quarter.py    opening a quarter (the three schedules in one call)
  common.py     the quarter check, the idempotent insert, the duty reminder clock"""

from .contacts import (
    MANAGE_VERIFICATIONS_PERM,
    contact_verification_confirm,
    contact_verification_open_for_quarter,
)
from .drills import (
    DRILL_FIELDS,
    drill_create,
    drill_record_outcome,
    drill_run_as_incident,
    drill_schedule_for_quarter,
    drill_stop_on,
    drill_update,
)
from .quarter import QuarterOpened, quarter_open
from .reviews import (
    procedure_review_complete,
    procedure_review_open_for_quarter,
    procedure_review_update,
    review_stop_on,
)
from .training import training_record_add, training_validity_months

__all__ = [
    "DRILL_FIELDS",
    "MANAGE_VERIFICATIONS_PERM",
    "QuarterOpened",
    "contact_verification_confirm",
    "contact_verification_open_for_quarter",
    "drill_create",
    "drill_record_outcome",
    "drill_run_as_incident",
    "drill_schedule_for_quarter",
    "drill_stop_on",
    "drill_update",
    "procedure_review_complete",
    "procedure_review_open_for_quarter",
    "procedure_review_update",
    "quarter_open",
    "review_stop_on",
    "training_record_add",
    "training_validity_months",
]
