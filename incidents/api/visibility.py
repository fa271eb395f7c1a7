"""Need-to-know over the API. Staff sessions see what they see in the admin
(incidents.selectors.incidents_visible_to); an API key sees security incidents only with
the `incidents:security` scope, and otherwise never learns which ones exist: lists only say
how many are withheld (incidents_withheld_from_request)."""

import re

from django.db.models import QuerySet
from rest_framework.exceptions import NotFound

from ..choices import Category
from ..models import ApiScope, Incident
from ..selectors import incidents_visible_to, incidents_withheld_from
from .authentication import request_api_key


def incidents_visible_to_request(request, queryset: QuerySet | None = None) -> QuerySet:
    queryset = Incident.objects.all() if queryset is None else queryset
    api_key = request_api_key(request)
    if api_key is not None:
        if api_key.has_scope(ApiScope.INCIDENTS_SECURITY):
            return queryset
        return queryset.exclude(category=Category.SECURITY)
    return incidents_visible_to(request.user, queryset)


# The contract's reference: INC- + UTC detection time, and an optional numeric suffix.
REFERENCE_PATTERN = re.compile(r"^INC-\d{8}-\d{6}(?:-\d{1,6})?$")


def visible_incident_or_404(request, reference: str, queryset: QuerySet | None = None):
    """The incident with `reference` that this caller may see. Unknown, malformed and
    not-yours (need-to-know) all get the same 404, so nobody learns what exists."""
    incident = (
        incidents_visible_to_request(request, queryset).filter(reference=reference).first()
        if REFERENCE_PATTERN.match(reference)
        else None
    )
    if incident is None:
        raise NotFound("Not found.")
    return incident


def incidents_withheld_from_request(request) -> QuerySet:
    """The security incidents this caller may not see: all of them for a key without
    `incidents:security`, need-to-know for a staff session. Never narrowed by the request's
    filters (a filtered count would let a caller probe the hidden incidents' contents)."""
    api_key = request_api_key(request)
    if api_key is not None:
        if api_key.has_scope(ApiScope.INCIDENTS_SECURITY):
            return Incident.objects.none()
        return Incident.objects.filter(category=Category.SECURITY)
    return incidents_withheld_from(request.user)


def may_open_security_incident(request) -> bool:
    """An API key needs `incidents:security` to open (or move an incident into) the
    security category: otherwise it would learn about incidents it may not see, e.g. from
    the reference suffix. Staff sessions may, as in the admin."""
    api_key = request_api_key(request)
    if api_key is not None:
        return api_key.has_scope(ApiScope.INCIDENTS_SECURITY)
    return True
