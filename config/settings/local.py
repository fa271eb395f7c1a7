"""Local development and `make run`: safe defaults, nothing to configure."""

import os

from .base import *  # noqa: F403
from .base import env_bool

DEBUG = env_bool("DEBUG", True)
# A fixed key is fine on a laptop; production refuses to start without SECRET_KEY.
SECRET_KEY = os.environ.get("SECRET_KEY") or "harbormaster-local-development-only-key"
# One line per e-mail on the console (to, subject, acknowledge link), not the MIME dump.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "incidents.outbox.console_mail.OneLineEmailBackend")

STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns otherwise
