"""Deny by default: a view is reachable only by what it declares.

    from incidents.api.permissions import ApiPermission

On the view (any of these; none means nobody gets in):
    required_scope = "ingest"                              # every method, API keys
    required_scopes = {"GET": "incidents:read", "POST": "incidents:write"}
    required_perms = {"GET": ("incidents.view_incident",)}  # staff sessions, per method
    def get_required_perms(self, request): ...             # staff sessions, computed

API keys need the scope for the request's method (HEAD counts as GET). Session users must
be active staff and hold every Django permission listed for the method; a view that lists
none for the method is closed to sessions (the ingestion endpoints, for example)."""

from rest_framework.permissions import BasePermission

from .authentication import request_api_key

_SAME_AS = {"HEAD": "GET"}


def required_scope_for(view, method: str) -> str | None:
    single = getattr(view, "required_scope", None)
    if single:
        return single
    scopes = getattr(view, "required_scopes", None) or {}
    return scopes.get(method) or scopes.get(_SAME_AS.get(method, ""))


def required_perms_for(view, request) -> tuple[str, ...] | None:
    getter = getattr(view, "get_required_perms", None)
    if getter is not None:
        perms = getter(request)
    else:
        table = getattr(view, "required_perms", None) or {}
        perms = table.get(request.method) or table.get(_SAME_AS.get(request.method, ""))
    return tuple(perms) if perms else None


def _not_allowed_anyway(request, view) -> bool:
    method = request.method.lower()
    if method == "options":
        return getattr(view, "metadata_class", None) is None
    return method not in view.http_method_names or getattr(view, method, None) is None


class ApiPermission(BasePermission):
    message = "You do not have permission to perform this action."

    def has_permission(self, request, view):
        if _not_allowed_anyway(request, view):
            return True  # DRF answers 405; nothing runs
        api_key = request_api_key(request)
        if api_key is not None:
            scope = required_scope_for(view, request.method)
            scope = str(scope) if scope is not None else None  # TextChoices → its value
            if scope is None:
                self.message = "API keys cannot use this endpoint with this method."
                return False
            if not api_key.has_scope(scope):
                self.message = f"This API key lacks the {scope!r} scope."
                return False
            return True

        user = request.user
        if not (user and user.is_authenticated):
            return False  # DRF answers 401: no (valid) credentials
        if not (user.is_active and user.is_staff):
            self.message = "Only staff may use the API with a session."
            return False
        perms = required_perms_for(view, request)
        if perms is None:
            self.message = "This endpoint is for API keys only."
            return False
        if not user.has_perms(perms):
            self.message = (
                "Your account lacks the permission for this action (" + ", ".join(perms) + ")."
            )
            return False
        return True
