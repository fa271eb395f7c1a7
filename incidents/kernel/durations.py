"""How long something took or is left, written the same way everywhere (admin, messages,
post-mortems, exports)."""

from datetime import datetime, timedelta

from django.utils import timezone


def format_duration(delta: timedelta | None, *, unknown: str = "—") -> str:
    """Compact human duration: "40s", "12m", "2h 5m", "3d 4h 12m". Negative durations
    count as zero; None gives `unknown` (a post-mortem says "ongoing")."""
    if delta is None:
        return unknown
    seconds = max(int(delta.total_seconds()), 0)
    if seconds < 60:
        return f"{seconds}s"
    minutes = seconds // 60
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    parts = [f"{days}d"] if days else []
    if hours or days:
        parts.append(f"{hours}h")
    parts.append(f"{minutes}m")
    return " ".join(parts)


def format_moment(value: datetime | None) -> str:
    """A moment as staff read it on pages: "2026-12-10 17:25" in the viewer's time zone;
    empty for None."""
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M}" if value else ""
