"""Preparedness: quarterly procedure reviews, drills, training records and contact verification
(spec: "Training and Preparedness", "Documentation Maintenance")."""
