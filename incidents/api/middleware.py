"""Request body size limit for the API: refused before anything reads the body.

DRF's parsers read the request stream directly, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE
does not protect JSON endpoints; this does, for every path under /api/."""

from django.conf import settings

from .errors import error_response


class ApiBodySizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith("/api/"):
            limit = settings.HARBORMASTER_API_MAX_BODY_BYTES
            raw = request.META.get("CONTENT_LENGTH") or "0"
            try:
                length = int(raw)
            except ValueError:
                return error_response("Invalid Content-Length header.", 400)
            if length < 0:
                return error_response("Invalid Content-Length header.", 400)
            if length > limit:
                return error_response(
                    f"Request body too large: {length} bytes; the limit is {limit} bytes.", 413
                )
        return self.get_response(request)
