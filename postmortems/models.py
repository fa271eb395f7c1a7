"""Post-incident checklists, post-mortems and action items (see the post-mortem issue)."""
