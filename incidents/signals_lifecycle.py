"""Lifecycle hooks for the other apps (post-mortems, compliance), so the incident services
need not import them.

- `transition_requested` is sent inside the transition's transaction, with the incident row
  locked, before anything is saved. A receiver refuses the move by raising
  incidents.domain.DomainError (e.g. "closing needs a published post-mortem"); the message
  reaches the person or integration as a clear error and nothing is written.
- `status_changed` is sent after the move is saved, still inside the transaction: what a
  receiver writes (a post-mortem, a checklist) commits or rolls back with the move.

Both are sent with sender=Incident and keyword arguments incident, from_status, to_status,
user and now. Receivers must not swallow errors: these are sent with `send`, not
`send_robust`.

- `open_work_requested` asks what is still open on an incident (sent with sender=Incident
  and keyword argument incident): each receiver returns a list of (kind, text) pairs, e.g.
  ("Post-incident task", "Write the timeline, due 3 Mar"). Closing with open work needs a
  reason; the incident page lists it."""

from django.dispatch import Signal

transition_requested = Signal()
status_changed = Signal()
open_work_requested = Signal()
