"""The shared kernel: small helpers every app uses (history saves, claiming due rows,
durations, publishing to the broker, spreadsheet-safe text, id text, errors).

It imports no model and no other part of Harbormaster, so any layer of any app may use it
(import-linter contract "kernel stands alone")."""
