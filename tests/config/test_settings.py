"""Settings read from the environment: production is safe, local SQLite is shareable, the
test database follows DATABASE_URL, and every response carries a request id."""

import json
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]

# Everything the settings read; stripped so the caller's environment (e.g. CI's
# DATABASE_URL) does not leak into a subprocess that is meant to see only what we give it.
SETTINGS_ENV = (
    "DJANGO_SETTINGS_MODULE",
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "DATABASE_URL",
    "CELERY_BROKER_URL",
    "HARBORMASTER_VAR_DIR",
    "TIME_ZONE",
    "STATIC_ROOT",
    "EMAIL_BACKEND",
    "LOG_LEVEL",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_PRELOAD",
    "HARBORMASTER_AUDIT_HMAC_KEY",
)


def production_env(tmp_path: Path) -> dict[str, str]:
    return {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "ALLOWED_HOSTS": "harbormaster.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://harbormaster.example.com",
        "DATABASE_URL": "postgres://harbormaster:s3cret@db.example.com:5432/harbormaster",
        "CELERY_BROKER_URL": "redis://redis.example.com:6379/0",
        "HARBORMASTER_VAR_DIR": str(tmp_path / "var"),
        "HARBORMASTER_AUDIT_HMAC_KEY": secrets.token_urlsafe(48),
    }


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in SETTINGS_ENV}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


PRINT_SETTINGS = """
import json
from django.conf import settings
from django.db import connection
print(json.dumps({
    "DEBUG": settings.DEBUG,
    "ALLOW_DEMO": settings.HARBORMASTER_ALLOW_DEMO_DATA,
    "SECURE_SSL_REDIRECT": settings.SECURE_SSL_REDIRECT,
    "SESSION_COOKIE_SECURE": settings.SESSION_COOKIE_SECURE,
    "CSRF_COOKIE_SECURE": settings.CSRF_COOKIE_SECURE,
    "SECURE_HSTS_SECONDS": settings.SECURE_HSTS_SECONDS,
    "vendor": connection.vendor,
    "broker": settings.CELERY_BROKER_URL,
}))
"""


@pytest.mark.slow  # a manage.py subprocess
@pytest.mark.parametrize("extra", [{}, {"SECURE_HSTS_PRELOAD": "true"}])
def test_production_settings_pass_check_deploy(tmp_path, extra):
    env = production_env(tmp_path) | extra
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.slow  # a manage.py subprocess
@pytest.mark.parametrize(
    ("extra", "check_id"),
    [
        ({"SECURE_SSL_REDIRECT": "false"}, "security.W008"),
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"SECRET_KEY": "too-short"}, "security.W009"),
    ],
)
def test_check_deploy_still_catches_weakened_production_settings(tmp_path, extra, check_id):
    """Only the HSTS-preload advice is silenced; real weaknesses still fail the check."""
    env = production_env(tmp_path) | extra
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert check_id in result.stderr


@pytest.mark.slow  # a manage.py subprocess
def test_production_settings_are_locked_down(tmp_path):
    result = manage("shell", "-v", "0", "-c", PRINT_SETTINGS, env=production_env(tmp_path))
    assert result.returncode == 0, result.stderr
    values = json.loads(result.stdout.strip().splitlines()[-1])
    assert values == {
        "DEBUG": False,
        "ALLOW_DEMO": False,
        "SECURE_SSL_REDIRECT": True,
        "SESSION_COOKIE_SECURE": True,
        "CSRF_COOKIE_SECURE": True,
        "SECURE_HSTS_SECONDS": 31536000,
        "vendor": "postgresql",
        "broker": "redis://redis.example.com:6379/0",
    }


@pytest.mark.slow  # a manage.py subprocess
def test_debug_true_fails_check_deploy_under_local_settings(tmp_path):
    """The check above is not vacuous: the same command fails on development settings."""
    env = production_env(tmp_path)
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.local"
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=env)
    assert result.returncode != 0
    assert "security.W018" in result.stderr  # DEBUG is True


@pytest.mark.slow  # a manage.py subprocess
@pytest.mark.parametrize(
    "name",
    [
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "CELERY_BROKER_URL",
        "HARBORMASTER_AUDIT_HMAC_KEY",
    ],
)
def test_production_refuses_to_start_without(name, tmp_path):
    env = production_env(tmp_path)
    del env[name]
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert f"{name} must be set" in result.stderr or f"{name} must point" in result.stderr


@pytest.mark.slow  # a manage.py subprocess
def test_production_refuses_an_empty_secret_key(tmp_path):
    env = production_env(tmp_path) | {"SECRET_KEY": ""}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set in production" in result.stderr


@pytest.mark.slow  # a manage.py subprocess
def test_local_settings_use_sqlite_in_wal_mode_with_a_busy_timeout(tmp_path):
    """Web, worker and beat share one SQLite file: WAL and a busy timeout make that work."""
    var_dir = tmp_path / "var"
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.local", "HARBORMASTER_VAR_DIR": str(var_dir)}
    code = (
        "from django.db import connection\n"
        "cursor = connection.cursor()\n"
        "cursor.execute('PRAGMA journal_mode'); print(cursor.fetchone()[0])\n"
        "cursor.execute('PRAGMA busy_timeout'); print(cursor.fetchone()[0])\n"
    )
    result = manage("shell", "-v", "0", "-c", code, env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["wal", "20000"]
    assert (var_dir / "harbormaster.sqlite3").exists()


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_test_database_is_postgresql_when_database_url_is_set():
    assert connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        assert cursor.fetchone()[0].startswith("PostgreSQL")


@pytest.mark.django_db
def test_the_test_database_is_sqlite_without_database_url():
    if os.environ.get("DATABASE_URL"):
        pytest.skip("DATABASE_URL is set; the PostgreSQL test covers this run")
    assert connection.vendor == "sqlite"


REQUEST_ID = re.compile(r"^[0-9a-f]{32}$")


def test_every_response_carries_a_fresh_request_id(client):
    first = client.get("/healthz")
    second = client.get("/healthz")
    assert first.status_code == 200
    assert first.json() == {"status": "ok"}
    assert REQUEST_ID.match(first["X-Request-ID"])
    assert REQUEST_ID.match(second["X-Request-ID"])
    assert first["X-Request-ID"] != second["X-Request-ID"]


def test_a_sane_incoming_request_id_is_kept(client):
    response = client.get("/healthz", headers={"X-Request-ID": "lb-4f2a.9_c"})
    assert response["X-Request-ID"] == "lb-4f2a.9_c"


@pytest.mark.parametrize("bad", ["has spaces", "x" * 65, "semi;colon", "<script>"])
def test_an_unsafe_incoming_request_id_is_replaced(client, bad):
    response = client.get("/healthz", headers={"X-Request-ID": bad})
    assert REQUEST_ID.match(response["X-Request-ID"])


def test_request_id_is_set_on_admin_pages_too(client):
    response = client.get("/admin/login/")
    assert response.status_code == 200
    assert REQUEST_ID.match(response["X-Request-ID"])


ENV_READ = re.compile(
    r"""(?:os\.environ(?:\.get|\.setdefault)?\(?\[?|os\.getenv\(|env_bool\(|env_list\()\s*"""
    r"""["']([A-Z][A-Z0-9_]+)["']"""
)


def test_readme_documents_every_environment_variable_the_code_reads():
    names = set()
    for path in ROOT.rglob("*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {".venv", "var", "tests", "bench"} or "migrations" in parts:
            continue
        names |= set(ENV_READ.findall(path.read_text(encoding="utf-8")))
    assert {"SECRET_KEY", "DATABASE_URL", "CELERY_BROKER_URL", "PORT"} <= names  # regex works
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = sorted(name for name in names if f"`{name}`" not in readme)
    assert missing == [], f"add these to the configuration table in README.md: {missing}"
