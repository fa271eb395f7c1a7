"""Rate limits per client: an API key by its id, a staff session by the user's id.

Rates live in REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"] (from the environment, see
docs/api.md); a view picks its bucket with `throttle_scope` (default "api"; the
ingestion endpoints use "ingest"). Over the limit: 429 with `Retry-After`.

The counters live in the cache (Redis in production). When the cache is down or slow the
request is allowed (logged and counted by incidents.kernel.outages): a rate limit is not
worth failing a write for."""

from functools import partial

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from ..kernel.outages import cache_or_default
from .authentication import request_api_key


class ApiClientRateThrottle(SimpleRateThrottle):
    default_scope = "api"

    def __init__(self):
        # The rate depends on the view; it is read in allow_request (and read afresh,
        # so settings overridden in tests apply).
        pass

    def allow_request(self, request, view):
        self.scope = getattr(view, "throttle_scope", None) or self.default_scope
        self.rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)
        if not self.rate:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)
        return cache_or_default(
            partial(super().allow_request, request, view), True, what="API rate limit"
        )

    def get_cache_key(self, request, view):
        api_key = request_api_key(request)
        if api_key is not None:
            ident = f"key:{api_key.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"ip:{self.get_ident(request)}"
        return f"throttle:{self.scope}:{ident}"
