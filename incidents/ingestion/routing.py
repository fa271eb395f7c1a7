"""Pick the routing rule for an alert. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .parsers import NormalizedAlert


@dataclass(frozen=True)
class RuleSpec:
    id: int
    priority: int
    is_default: bool
    source: str
    match_name: str
    match_namespace: str
    match_labels: dict


def rule_matches(rule: RuleSpec, alert: NormalizedAlert) -> bool:
    if rule.source and rule.source != alert.source:
        return False
    if rule.match_namespace and rule.match_namespace != alert.namespace:
        return False
    if rule.match_name:
        try:
            if not re.search(rule.match_name, alert.name):
                return False
        except re.error:
            return False  # a broken pattern matches nothing (the admin refuses to save one)
    return all(alert.labels.get(key) == str(value) for key, value in rule.match_labels.items())


def choose_rule(rules: list[RuleSpec], alert: NormalizedAlert) -> RuleSpec | None:
    """The first matching non-default rule by priority, else the default rule."""
    ordered = sorted(rules, key=lambda r: (r.priority, r.id))
    for rule in ordered:
        if not rule.is_default and rule_matches(rule, alert):
            return rule
    return next((rule for rule in ordered if rule.is_default), None)
