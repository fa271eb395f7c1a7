"""Every API error has the contract shape `{"detail": "...", "errors": {field: [...]}}`.

REST_FRAMEWORK["EXCEPTION_HANDLER"] points at `exception_handler`; config/urls.py's
handler404/handler500/... answer the same shape for paths under /api/ that never reached
a DRF view (unknown routes, crashes).

A database that cannot be reached (connection refused or lost: Django's OperationalError /
InterfaceError) answers 503 with `Retry-After` instead of 500, in the API's shape under
/api/ and as a short plain page elsewhere. Programming errors (ProgrammingError,
IntegrityError, DataError, anything else) stay 500s."""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.utils import InterfaceError, OperationalError
from django.http import HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.serializers import as_serializer_error
from rest_framework.views import exception_handler as drf_exception_handler

from ..domain import ConcurrentModification, DomainError, InvalidTransition, MissingField
from ..kernel import outages

NON_FIELD = "non_field_errors"

# Connection-level database failures: the request may succeed when retried.
DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
DATABASE_RETRY_AFTER_SECONDS = 30
DATABASE_UNAVAILABLE_DETAIL = "The database is unavailable at the moment; try again shortly."


class ApiError(exceptions.APIException):
    """An error with the contract's body: a status, a message and optional field errors."""

    def __init__(self, detail: str, *, status_code: int, errors: dict | None = None):
        super().__init__(detail)
        self.status_code = status_code
        self.errors = errors or {}


class ServiceUnavailable(ApiError):
    """503; DRF's handler turns `wait` into the `Retry-After` header."""

    def __init__(self, detail: str, *, retry_after: int):
        super().__init__(detail, status_code=status.HTTP_503_SERVICE_UNAVAILABLE)
        self.wait = retry_after


def database_unavailable(error: BaseException, *, where: str) -> ServiceUnavailable:
    outages.DATABASE.record(where, error)
    return ServiceUnavailable(DATABASE_UNAVAILABLE_DETAIL, retry_after=DATABASE_RETRY_AFTER_SECONDS)


class Conflict(ApiError):
    def __init__(self, detail: str, *, errors: dict | None = None):
        super().__init__(detail, status_code=status.HTTP_409_CONFLICT, errors=errors)


def domain_error_to_api(error: DomainError) -> ApiError:
    """Invalid transitions and concurrent changes are 409; a rule about one field is 400;
    any other broken rule is a conflict with the incident's current state (409)."""
    errors = {error.field: [error.message]} if error.field else {}
    if isinstance(error, ConcurrentModification | InvalidTransition):
        return Conflict(error.message, errors=errors)
    if isinstance(error, MissingField) or error.field:
        return ApiError(error.message, status_code=status.HTTP_400_BAD_REQUEST, errors=errors)
    return Conflict(error.message)


def _flatten(data, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error structure → {"field" | "field.sub" | "items.0.name": [messages]}."""
    if isinstance(data, dict):
        flat: dict[str, list[str]] = {}
        for key, value in data.items():
            flat.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(data, list | tuple):
        if all(not isinstance(item, dict | list | tuple) for item in data):
            return {prefix or NON_FIELD: [str(item) for item in data]} if data else {}
        flat = {}
        for index, item in enumerate(data):
            flat.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or NON_FIELD: [str(data)]}


def validation_body(data) -> dict:
    errors = _flatten(data)
    general = errors.pop(NON_FIELD, [])
    if general:
        detail = " ".join(general)
    elif errors:
        detail = "Invalid input: " + "; ".join(
            f"{field}: {messages[0]}" for field, messages in list(errors.items())[:3]
        )
        if len(errors) > 3:
            detail += f" (and {len(errors) - 3} more)"
    else:
        detail = "Invalid input."
    return {"detail": detail, "errors": errors}


def exception_handler(exc, context):
    if isinstance(exc, DomainError):
        exc = domain_error_to_api(exc)
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(as_serializer_error(exc))
    elif isinstance(exc, DATABASE_UNAVAILABLE):
        exc = database_unavailable(exc, where=context["request"].path)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None  # a real crash: Django's handler500 (JSON under /api/) takes over
    if isinstance(exc, ApiError):
        response.data = {"detail": str(exc.detail), "errors": exc.errors}
    elif isinstance(exc, exceptions.ValidationError):
        response.data = validation_body(exc.detail)
    else:
        detail = response.data.get("detail") if isinstance(response.data, dict) else None
        response.data = {"detail": str(detail or exc), "errors": {}}
    return response


# --- Django-level handlers (config/urls.py) ---------------------------------------------------
def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def error_response(detail: str, status_code: int, errors: dict | None = None) -> JsonResponse:
    return JsonResponse({"detail": detail, "errors": errors or {}}, status=status_code)


def handler400(request, exception=None):
    if _is_api(request):
        return error_response("Bad request.", 400)
    return defaults.bad_request(request, exception)


def handler403(request, exception=None):
    if _is_api(request):
        return error_response(str(exception) or "Permission denied.", 403)
    return defaults.permission_denied(request, exception)


def handler404(request, exception=None):
    if _is_api(request):
        if isinstance(exception, Resolver404):
            return api_not_found(request)
        return error_response("Not found.", 404)
    return defaults.page_not_found(request, exception)


def api_not_found(request, *args, **kwargs):
    """The last URL pattern under /api/ (config/urls.py): an unknown endpoint answers 404
    in the contract shape even with DEBUG on (where handler404 is not used)."""
    return error_response(f"No API endpoint at {request.path}.", 404)


def _api_catch_all(request, *args, **kwargs):
    # Keep CommonMiddleware's APPEND_SLASH redirect for a known endpoint typed without "/".
    if settings.APPEND_SLASH and not request.path.endswith("/"):
        try:
            match = resolve(request.path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not api_catch_all:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return api_not_found(request)


api_catch_all = _api_catch_all


def handler500(request):
    # Called by Django while the uncaught exception is being handled (never with DEBUG on).
    error = sys.exc_info()[1]
    if isinstance(error, DATABASE_UNAVAILABLE):
        unavailable = database_unavailable(error, where=request.path)
        if _is_api(request):
            response = error_response(str(unavailable.detail), unavailable.status_code)
        else:
            response = HttpResponse(
                "Harbormaster is unavailable at the moment (its database cannot be reached). "
                "Try again in a minute.",
                status=unavailable.status_code,
                content_type="text/plain; charset=utf-8",
            )
        response["Retry-After"] = str(unavailable.wait)
        return response
    if _is_api(request):
        return error_response("Internal server error.", 500)
    return defaults.server_error(request)


__all__ = [
    "ApiError",
    "Conflict",
    "ServiceUnavailable",
    "api_catch_all",
    "api_not_found",
    "domain_error_to_api",
    "exception_handler",
    "handler400",
    "handler403",
    "handler404",
    "handler500",
]
