"""The public status page: only what was published to the external audience."""
