"""Breach notification: regimes as data, assessments, obligations and their clocks, the register."""
