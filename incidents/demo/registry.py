"""How other apps add to the demo data set without incidents importing them.

incidents never imports postmortems or reporting. An app that has demo data of its own
registers its hooks from its AppConfig.ready():

    from incidents.demo.registry import register_before_close, register_demo_loader
    register_demo_loader("reporting.preparedness", load_demo_preparedness)

- a demo loader `loader(users, *, now) -> str` runs once the demo users, services and rota
  exist, before the incidents are played; the text it returns is written to the output;
- a before-close hook `hook(incident, *, user, now)` runs before a demo incident is moved
  to closed (e.g. publish the post-mortem the severity policy requires);
- a clock settler `settler(*, now) -> str` runs once the demo incidents are played: it
  marks the app's reminders that are already past as handled without sending them, so
  the first beat run after a demo load pages nobody (incidents.demo.small.settle_clocks)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

_demo_loaders: dict[str, Callable[..., str]] = {}
_before_close: dict[str, Callable[..., None]] = {}
_clock_settlers: dict[str, Callable[..., str]] = {}


def register_demo_loader(name: str, loader: Callable[..., str]) -> None:
    """Add (or replace, under the same name) a demo loader."""
    _demo_loaders[name] = loader


def register_before_close(name: str, hook: Callable[..., None]) -> None:
    """Add (or replace, under the same name) a hook run before a demo incident closes."""
    _before_close[name] = hook


def register_clock_settler(name: str, settler: Callable[..., str]) -> None:
    """Add (or replace, under the same name) a demo clock settler."""
    _clock_settlers[name] = settler


def run_clock_settlers(*, now: datetime) -> list[str]:
    """Run every registered clock settler, in registration order; their messages."""
    return [settler(now=now) for settler in _clock_settlers.values()]


def run_demo_loaders(users: dict, *, now: datetime) -> list[str]:
    """Run every registered demo loader, in registration order; their messages."""
    return [loader(users, now=now) for loader in _demo_loaders.values()]


def run_before_close(incident, *, user, now: datetime) -> None:
    for hook in _before_close.values():
        hook(incident, user=user, now=now)
