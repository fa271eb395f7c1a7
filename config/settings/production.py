"""Production: everything secret or site-specific comes from the environment."""

import os

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import REDIS_CACHE_OPTIONS, env_bool, env_list

DEBUG = False
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set in production")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in production")
if not os.environ.get("DATABASE_URL"):
    raise ImproperlyConfigured("DATABASE_URL must point at PostgreSQL in production")
if not os.environ.get("CELERY_BROKER_URL"):
    raise ImproperlyConfigured("CELERY_BROKER_URL must point at Redis in production")

HARBORMASTER_ALLOW_DEMO_DATA = False

# Audit checkpoints are signed with a key the database does not hold.
HARBORMASTER_AUDIT_HMAC_KEY = os.environ.get("HARBORMASTER_AUDIT_HMAC_KEY", "")
if len(HARBORMASTER_AUDIT_HMAC_KEY) < 32:
    raise ImproperlyConfigured(
        "HARBORMASTER_AUDIT_HMAC_KEY must be set in production (at least 32 characters)"
    )


# Several web processes must share the API throttle counters: Redis, by default the
# broker's server (CACHE_URL overrides it).
if not os.environ.get("CACHE_URL"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["CELERY_BROKER_URL"],
            "KEY_PREFIX": "harbormaster-cache",
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Preloading is an opt-in that is hard to undo (browsers ship the list), so it stays off
# unless asked for; off is then a decision, and its advisory deploy check is silenced.
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
}
