"""Dependencies a request can do without, and what happens when one of them fails.

`cache_or_default(operation, default, what=...)` is the one way the request path uses the
cache (today: the API rate limits): when the cache (Redis) is down, refuses or does not
answer within its socket timeouts (settings CACHES OPTIONS), the request goes on with
`default` instead of failing. Every failure is counted per process (`CACHE.failures`) and
logged at WARNING at most once per `LOG_EVERY_SECONDS` per process, with the number of
failures since the last warning, so an outage neither fails writes nor floods the log.

`DATABASE` counts and logs the requests answered 503 because the database could not be
reached (incidents/api/errors.py)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import TypeVar

from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

LOG_EVERY_SECONDS = 30.0

T = TypeVar("T")

# What a failing cache raises: redis-py's errors (connection refused, timeout, a read-only
# replica, a server that cannot persist) and plain socket errors.
CACHE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)


class Outage:
    """A per-process counter of failures of one dependency, with a rate-limited warning."""

    def __init__(self, name: str, *, consequence: str) -> None:
        self.name = name
        self.consequence = consequence
        self.failures = 0
        self._unlogged = 0
        self._last_logged: float | None = None
        self._lock = threading.Lock()

    def record(self, what: str, error: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            self.failures += 1
            self._unlogged += 1
            if self._last_logged is not None and now - self._last_logged < LOG_EVERY_SECONDS:
                return
            count, self._unlogged, self._last_logged = self._unlogged, 0, now
        logger.warning(
            "%s unavailable (%s: %s): %s; %d failure(s) since the last warning, %d in this process",
            self.name,
            what,
            f"{type(error).__name__}: {error}",
            self.consequence,
            count,
            self.failures,
        )

    def reset(self) -> None:
        """Forget earlier failures (the next one is logged at once)."""
        with self._lock:
            self.failures = self._unlogged = 0
            self._last_logged = None


CACHE = Outage("cache", consequence="requests go on without it (rate limits not applied)")
DATABASE = Outage("database", consequence="requests answered 503 with Retry-After")


def cache_or_default(operation: Callable[[], T], default: T, *, what: str) -> T:
    """`operation()` (which uses the cache), or `default` when the cache fails."""
    try:
        return operation()
    except CACHE_ERRORS as error:
        CACHE.record(what, error)
        return default
