"""Communications: the spec's notification templates, sends through the outbox, cadence."""
