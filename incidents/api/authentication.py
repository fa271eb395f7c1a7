"""`Authorization: Bearer <key>` for integrations; staff keep using their session.

Use on any API view (it is the default in REST_FRAMEWORK):
    from incidents.api.authentication import ApiKeyAuthentication
"""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from ..models import ApiKey
from ..services.api_keys import api_key_authenticate

INVALID_KEY = "Invalid API key (unknown or revoked)."


class ApiKeyAuthentication(BaseAuthentication):
    """Sets `request.user` to the key's service account and `request.auth` to the ApiKey.
    No `Authorization: Bearer` header: not this scheme (the session may apply). A bearer
    key that is unknown or revoked: 401."""

    keyword = b"bearer"

    def authenticate(self, request):
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword:
            return None
        if len(parts) != 2:
            raise AuthenticationFailed("Malformed Authorization header: use 'Bearer <key>'.")
        try:
            raw_key = parts[1].decode("ascii")
        except UnicodeDecodeError:
            raise AuthenticationFailed(INVALID_KEY) from None
        api_key = api_key_authenticate(raw_key)
        if api_key is None:
            raise AuthenticationFailed(INVALID_KEY)
        return api_key.user, api_key

    def authenticate_header(self, request):
        # Makes DRF answer 401 (not 403) when credentials are missing or wrong.
        return 'Bearer realm="harbormaster"'


def request_api_key(request) -> ApiKey | None:
    """The ApiKey a request authenticated with, or None (session or anonymous)."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, ApiKey) else None


class ApiKeyAuthenticationScheme(OpenApiAuthenticationExtension):
    target_class = ApiKeyAuthentication
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "An API key from `manage.py create_api_key` or the admin, sent as "
                "`Authorization: Bearer hm_…`. What it may do depends on its scopes."
            ),
        }
