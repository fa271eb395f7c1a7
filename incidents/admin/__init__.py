"""The incidents admin. Importing this package registers every admin below (Django's
autodiscover imports it); other apps add to the incident page through
incidents.admin.page.incident_page, never by re-registering the incident admin."""

from . import (  # noqa: F401
    alerts,
    api_keys,
    catalogue,
    communications,
    escalation,
    incident,
)
from .page import incident_page  # noqa: F401
