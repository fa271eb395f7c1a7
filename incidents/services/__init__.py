"""Every write to the incident domain, one module per subject. `from incidents import
services; services.incident_create(...)` and `from incidents.services import X` keep
working: the public services are re-exported here.

  incidents.py   open, edit, severity, acknowledge, lifecycle transitions, notes
  roles.py       response roles (assign, relieve, set several)
  checklists.py  response checklists
  api_keys.py    API keys (create, revoke, change, authenticate)
  common.py      the clock, the row lock, the timeline entry, choice validation"""

from .api_keys import (
    api_key_authenticate,
    api_key_create,
    api_key_revoke,
    api_key_update,
)
from .checklists import checklist_item_set_done, checklists_open
from .incidents import (
    EDITABLE_FIELDS,
    STAMP_FIELDS,
    incident_acknowledge,
    incident_add_note,
    incident_change_severity,
    incident_create,
    incident_open_work,
    incident_transition,
    incident_update,
)
from .roles import incident_assign_role, incident_relieve_role, incident_roles_set

__all__ = [
    "EDITABLE_FIELDS",
    "STAMP_FIELDS",
    "api_key_authenticate",
    "api_key_create",
    "api_key_revoke",
    "api_key_update",
    "checklist_item_set_done",
    "checklists_open",
    "incident_acknowledge",
    "incident_add_note",
    "incident_assign_role",
    "incident_change_severity",
    "incident_create",
    "incident_open_work",
    "incident_relieve_role",
    "incident_roles_set",
    "incident_transition",
    "incident_update",
]
