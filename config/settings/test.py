"""pytest: SQLite unless DATABASE_URL is set (CI sets it to PostgreSQL)."""

import os

from .base import *  # noqa: F403

SECRET_KEY = "harbormaster-test-key"
DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Tasks publish to the real broker only in tests that start a real worker.
CELERY_TASK_ALWAYS_EAGER = False
if not os.environ.get("DATABASE_URL"):
    DATABASES["default"] = {  # noqa: F405
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "TEST": {"NAME": ":memory:"},
    }
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns otherwise
