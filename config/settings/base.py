"""Settings shared by every environment. Everything that differs comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = Path(os.environ.get("HARBORMASTER_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("SECRET_KEY", "")
DEBUG = env_bool("DEBUG", False)
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "django_celery_beat",
    "incidents",
    "postmortems",
    "reporting",
    # The admin with Harbormaster's site (the staff home); after the apps so that their
    # admin/ templates (incidents/templates/admin/index.html) take precedence.
    "incidents.admin_config.HarbormasterAdminConfig",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "incidents.middleware.RequestIdMiddleware",
    "incidents.api.middleware.ApiBodySizeLimitMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


def database_from_env() -> dict:
    """DATABASE_URL wins (PostgreSQL in production and CI); else an embedded SQLite file."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return dj_database_url.parse(url, conn_max_age=60, conn_health_checks=True)
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": VAR_DIR / "harbormaster.sqlite3",
        # Web, worker and beat share the file: WAL lets readers run beside one writer,
        # IMMEDIATE transactions plus a busy timeout make writers queue instead of failing.
        "OPTIONS": {
            "timeout": 20,
            "transaction_mode": "IMMEDIATE",
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=20000;"
            ),
        },
    }


DATABASES = {"default": database_from_env()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Cache: API throttle counters must be shared by every web process ----------------------
# CACHE_URL (Redis) in production; a per-process memory cache is fine for one local process.
# A down or hung Redis must cost a request at most these timeouts (seconds): the rate limits
# then let the request through (incidents/kernel/outages.py), see docs/operations.md.
CACHE_SOCKET_TIMEOUT = float(os.environ.get("CACHE_SOCKET_TIMEOUT", "0.25"))
REDIS_CACHE_OPTIONS = {
    "socket_connect_timeout": CACHE_SOCKET_TIMEOUT,
    "socket_timeout": CACHE_SOCKET_TIMEOUT,
}
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- django-simple-history -------------------------------------------------------------
# History is evidence: nobody reverts it from the admin.
SIMPLE_HISTORY_REVERT_DISABLED = True
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# --- Django REST framework: deny by default (see docs/api.md) -------------------------------
REST_FRAMEWORK = {
    # API keys (Bearer) first, so missing or bad credentials are a 401; then staff sessions
    # (CSRF enforced).
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "incidents.api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # A view is open only to the scopes / permissions it declares; none declared: nobody.
    "DEFAULT_PERMISSION_CLASSES": ["incidents.api.permissions.ApiPermission"],
    "DEFAULT_THROTTLE_CLASSES": ["incidents.api.throttling.ApiClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api": os.environ.get("API_THROTTLE_RATE", "600/minute"),
        "ingest": os.environ.get("API_INGEST_THROTTLE_RATE", "6000/minute"),
    },
    "DEFAULT_PARSER_CLASSES": ["incidents.api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_METADATA_CLASS": None,  # no OPTIONS introspection
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "incidents.api.errors.exception_handler",
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
# Largest request body the API accepts (413 above it).
HARBORMASTER_API_MAX_BODY_BYTES = int(os.environ.get("API_MAX_BODY_BYTES", str(1024 * 1024)))
# How long an Idempotency-Key's first response is kept for replay.
HARBORMASTER_IDEMPOTENCY_TTL_HOURS = int(os.environ.get("API_IDEMPOTENCY_TTL_HOURS", "24"))

SPECTACULAR_SETTINGS = {
    "TITLE": "Harbormaster API",
    "DESCRIPTION": (
        "Incidents for integrations: the same rules as the admin. Authenticate with "
        '`Authorization: Bearer <API key>`; errors are `{"detail": ..., "errors": '
        "{field: [...]}}`. See docs/api.md."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "COMPONENT_SPLIT_REQUEST": True,
    # Offline docs: Swagger UI's assets come from drf-spectacular-sidecar's static files.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"persistAuthorization": False, "displayRequestDuration": True},
    # Contract enums keep their names in the schema.
    "ENUM_NAME_OVERRIDES": {
        "SeverityEnum": "incidents.choices.Severity",
        "StatusEnum": "incidents.choices.Status",
        "CategoryEnum": "incidents.choices.Category",
        "IncidentTypeEnum": "incidents.choices.IncidentType",
        "DetectionSourceEnum": "incidents.choices.DetectionSource",
    },
}

# --- Celery ----------------------------------------------------------------------------
# Without CELERY_BROKER_URL the broker is kombu's filesystem transport under var/, so
# `make run` needs no server. With it (production, CI), Redis.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
if not CELERY_BROKER_URL:
    _broker_dir = VAR_DIR / "broker"
    for _sub in ("queue", "processed", "control"):
        (_broker_dir / _sub).mkdir(parents=True, exist_ok=True)
    # With a host part kombu does not warn "No hostname was supplied" on every connect.
    CELERY_BROKER_URL = "filesystem://localhost//"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcasts (inspect ping, remote control) go here too, not into the cwd.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
else:
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        # Redis redelivers an unacked task after this many seconds. Every task finishes
        # well within it, and all are idempotent, so a redelivery is harmless.
        "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600")),
        # Fail fast when Redis is down: the caller's write must not wait on the broker.
        "socket_connect_timeout": 2,
        "socket_timeout": 5,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# A broker outage must never fail a user's write: publishing gives up quickly and the
# outbox row stays pending for the beat relay.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TASK_REJECT_ON_WORKER_LOST = True

EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "harbormaster@localhost")

EMAIL_TIMEOUT = int(os.environ.get("EMAIL_TIMEOUT", "10"))

# --- Escalation and notification outbox -----------------------------------------------------
# Absolute URL of this site, for links in pages and messages.
HARBORMASTER_BASE_URL = os.environ.get("HARBORMASTER_BASE_URL", "http://127.0.0.1:8000")
# Slack-compatible incoming webhook that receives every page (empty: no chat messages).
HARBORMASTER_CHAT_WEBHOOK_URL = os.environ.get("HARBORMASTER_CHAT_WEBHOOK_URL", "")
# Generic outbound webhook, body signed with HMAC-SHA256 (see docs/notifications.md).
HARBORMASTER_WEBHOOK_URL = os.environ.get("HARBORMASTER_WEBHOOK_URL", "")
HARBORMASTER_WEBHOOK_SECRET = os.environ.get("HARBORMASTER_WEBHOOK_SECRET", "")
HARBORMASTER_HTTP_TIMEOUT_SECONDS = float(os.environ.get("HARBORMASTER_HTTP_TIMEOUT_SECONDS", "10"))
HARBORMASTER_DELIVERY_MAX_ATTEMPTS = int(os.environ.get("HARBORMASTER_DELIVERY_MAX_ATTEMPTS", "8"))
HARBORMASTER_DELIVERY_BACKOFF_SECONDS = int(
    os.environ.get("HARBORMASTER_DELIVERY_BACKOFF_SECONDS", "30")
)
HARBORMASTER_DELIVERY_BACKOFF_CAP_SECONDS = int(
    os.environ.get("HARBORMASTER_DELIVERY_BACKOFF_CAP_SECONDS", "3600")
)
# The watchdog complains about escalations due longer ago than this and not dispatched.
HARBORMASTER_ESCALATION_WATCHDOG_MINUTES = int(
    os.environ.get("HARBORMASTER_ESCALATION_WATCHDOG_MINUTES", "5")
)

# --- Compliance: breach clocks and the audit trail (reporting app) ------------------------
# Reminders before each notification deadline, in hours (an overdue alarm follows at the
# deadline itself).
HARBORMASTER_BREACH_REMINDER_LEAD_HOURS = [
    float(hours) for hours in env_list("HARBORMASTER_BREACH_REMINDER_LEAD_HOURS", "24,4,1")
]
# Key that signs audit checkpoints (HMAC-SHA256). Keep it out of the database and its
# backups; production refuses to start without it. The local default is NOT a secret.
HARBORMASTER_AUDIT_HMAC_KEY = os.environ.get(
    "HARBORMASTER_AUDIT_HMAC_KEY", "harbormaster-local-audit-key-not-secret"
)
HARBORMASTER_AUDIT_HMAC_KEY_ID = os.environ.get("HARBORMASTER_AUDIT_HMAC_KEY_ID", "k1")
# The sealer re-checks this many ids below the highest sealed one for rows committed late.
HARBORMASTER_AUDIT_SEAL_LOOKBACK = int(os.environ.get("HARBORMASTER_AUDIT_SEAL_LOOKBACK", "100000"))
# Seals older than this that no signed checkpoint covers fail verification (a sealing run
# signs at its end and every 30 s while it runs; a longer gap means checkpoints were removed).
HARBORMASTER_AUDIT_UNSIGNED_GRACE_MINUTES = int(
    os.environ.get("HARBORMASTER_AUDIT_UNSIGNED_GRACE_MINUTES", "60")
)

# --- Alert ingestion ---------------------------------------------------------------------
# Verify Amazon SNS signatures on /api/v1/ingest/cloudwatch/ (recommended in production).
HARBORMASTER_SNS_VERIFY_SIGNATURES = env_bool("HARBORMASTER_SNS_VERIFY_SIGNATURES", False)
HARBORMASTER_SNS_CERT_HOST_PATTERN = os.environ.get(
    "HARBORMASTER_SNS_CERT_HOST_PATTERN", r"sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?"
)
HARBORMASTER_SNS_CERT_SCHEMES = ("https",)

LOG_LEVEL = os.environ.get("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "incidents.middleware.RequestIdLogFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"}
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}

# Demo data may be loaded only where this is true (never under production settings).
HARBORMASTER_ALLOW_DEMO_DATA = True
