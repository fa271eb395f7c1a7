"""`manage.py bootstrap`: what `make run` needs after `migrate`. Safe to run any number of
times: it creates what is missing and leaves everything else alone.

1. The superuser: DJANGO_SUPERUSER_USERNAME / DJANGO_SUPERUSER_PASSWORD /
   DJANGO_SUPERUSER_EMAIL when set, else `admin` with a generated password that is printed
   once, when it is created.
2. Demo data (incidents.demo.load_demo_dataset) when the database holds no incident and
   settings.HARBORMASTER_ALLOW_DEMO_DATA is true — never under production settings.
"""

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from incidents.demo import load_demo_dataset
from incidents.kernel.history import history_save
from incidents.models import Incident

DEFAULT_USERNAME = "admin"
CHANGE_REASON = "Created by manage.py bootstrap"


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def settings_module() -> str:
    # Inside override_settings() SETTINGS_MODULE reads None; the environment still knows.
    return settings.SETTINGS_MODULE or os.environ.get("DJANGO_SETTINGS_MODULE", "")


def demo_data_allowed() -> bool:
    if settings_module().rsplit(".", 1)[-1] == "production":
        return False  # belt and braces: production also sets the flag to False
    return bool(getattr(settings, "HARBORMASTER_ALLOW_DEMO_DATA", False))


class Command(BaseCommand):
    help = (
        "Create the superuser (from DJANGO_SUPERUSER_* or 'admin' with a generated password "
        "printed once) and load demo data into an empty database. Safe to run again."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-demo", action="store_true", help="Do not load demo data even if empty."
        )

    def handle(self, *args, no_demo=False, **options):
        username, password, password_note = self.ensure_superuser()
        if no_demo:
            self.stdout.write("Demo data: skipped (--no-demo).")
            return
        self.load_demo_data(username, password, password_note)

    # --- superuser ------------------------------------------------------------------------
    def ensure_superuser(self) -> tuple[str, str | None, str]:
        """Returns (username, password if known in this run, how to describe it)."""
        user_model = get_user_model()
        username = os.environ.get("DJANGO_SUPERUSER_USERNAME", "").strip() or DEFAULT_USERNAME
        env_password = os.environ.get("DJANGO_SUPERUSER_PASSWORD", "")
        email = os.environ.get("DJANGO_SUPERUSER_EMAIL", "").strip()

        existing = user_model._default_manager.filter(
            **{user_model.USERNAME_FIELD: username}
        ).first()
        if existing is not None:
            if not existing.is_superuser:
                self.stderr.write(
                    self.style.WARNING(
                        f'User "{username}" exists but is not a superuser; left unchanged.'
                    )
                )
            elif env_password:
                self.stdout.write(
                    f'Superuser "{username}" already exists; its password was left unchanged '
                    f"(DJANGO_SUPERUSER_PASSWORD applies only when the user is created)."
                )
            else:
                self.stdout.write(
                    f'Superuser "{username}" already exists. Its password was printed when it '
                    f"was created; to set a new one run:\n"
                    f"    .venv/bin/python manage.py changepassword {username}"
                )
            return username, env_password or None, "DJANGO_SUPERUSER_PASSWORD"

        password = env_password or generate_password()
        user = user_model(**{user_model.USERNAME_FIELD: username})
        if email and hasattr(user, "email"):
            user.email = email
        user.is_staff = True
        user.is_superuser = True
        user.set_password(password)
        history_save(user, user=None, reason=CHANGE_REASON)

        if env_password:
            self.stdout.write(
                self.style.SUCCESS(
                    f'Created superuser "{username}" with the password from '
                    f"DJANGO_SUPERUSER_PASSWORD."
                )
            )
            return username, password, "DJANGO_SUPERUSER_PASSWORD"
        self.stdout.write(
            self.style.SUCCESS(f'Created superuser "{username}" with password: {password}')
        )
        self.stdout.write(
            "This password is shown only this once. To change it later run:\n"
            f"    .venv/bin/python manage.py changepassword {username}"
        )
        return username, password, f'the password of "{username}" above'

    # --- demo data --------------------------------------------------------------------------
    def load_demo_data(self, username: str, password: str | None, password_note: str) -> None:
        if not demo_data_allowed():
            self.stdout.write("Demo data: not loaded (not allowed by these settings).")
            return
        if Incident._default_manager.exists():
            self.stdout.write("Demo data: not loaded (the database already has incidents).")
            return

        if password is None:
            # The superuser existed before this run, so its password is unknown here.
            password = generate_password()
            password_note = None

        with transaction.atomic():
            usernames = list(load_demo_dataset(password=password, stdout=self.stdout) or [])

        self.stdout.write(
            self.style.SUCCESS(f"Demo data loaded: {Incident._default_manager.count()} incidents.")
        )
        if usernames:
            self.stdout.write("Demo users: " + ", ".join(usernames))
            if password_note is None:
                self.stdout.write(f"Demo users' password (shown only this once): {password}")
            else:
                self.stdout.write(f"Demo users' password: the same as {password_note}.")
