"""API key services: create (the plain key is returned once), revoke, change, authenticate.

A key looks like `hm_<prefix>_<secret>`: the prefix (8 hex digits) finds the row, the
SHA-256 of the whole key is compared in constant time. Only the hash is stored."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from ..kernel.errors import DomainError
from ..kernel.history import history_save
from ..models import ApiKey, ApiScope

KEY_PREFIX = "hm"
# last_used_at is telemetry: refreshed at most this often, so a busy key is not a write
# on every request.
LAST_USED_RESOLUTION = timedelta(seconds=60)


def hash_key(raw_key: str) -> str:
    return hashlib.sha256(raw_key.encode("utf-8")).hexdigest()


def parse_scopes(value: str | Iterable[str]) -> list[str]:
    """`"a,b"` or `["a", "b"]` → validated, de-duplicated, in contract order."""
    items = value.split(",") if isinstance(value, str) else list(value)
    wanted = [item.strip() for item in items if item and item.strip()]
    if not wanted:
        raise DomainError(
            "Give at least one scope. Valid scopes: " + ", ".join(ApiScope.values) + ".",
            field="scopes",
        )
    unknown = [item for item in wanted if item not in ApiScope.values]
    if unknown:
        raise DomainError(
            f"Unknown scope{'s' if len(unknown) > 1 else ''} "
            + ", ".join(repr(item) for item in unknown)
            + ". Valid scopes: "
            + ", ".join(ApiScope.values)
            + ".",
            field="scopes",
        )
    return [scope for scope in ApiScope.values if scope in wanted]


def _service_username(name: str, prefix: str) -> str:
    return f"api.{slugify(name)[:100] or 'key'}.{prefix}"


@transaction.atomic
def api_key_create(
    *, name: str, scopes: str | Iterable[str], user=None, now: datetime | None = None
) -> tuple[ApiKey, str]:
    """Returns the key row and the plain key, which is never stored and cannot be shown
    again."""
    now = now or timezone.now()
    name = (name or "").strip()
    if not name:
        raise DomainError("Give the key a name (which integration uses it).", field="name")
    name_limit = ApiKey._meta.get_field("name").max_length
    if name_limit is not None and len(name) > name_limit:
        raise DomainError("The name is too long (120 characters at most).", field="name")
    scopes = parse_scopes(scopes)
    user_model = get_user_model()
    for _attempt in range(5):
        prefix = secrets.token_hex(4)
        raw_key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
        if ApiKey.objects.filter(prefix=prefix).exists():
            continue
        try:
            with transaction.atomic():
                account = user_model(
                    username=_service_username(name, prefix),
                    is_active=True,
                    is_staff=False,
                    first_name=name[:150],
                )
                account.set_unusable_password()
                history_save(account, user=user, reason=f"Service account of API key {name!r}")
                api_key = ApiKey(
                    name=name,
                    prefix=prefix,
                    key_hash=hash_key(raw_key),
                    scopes=scopes,
                    user=account,
                    created_by=user,
                    created_at=now,
                )
                history_save(api_key, user=user, reason="API key created")
        except IntegrityError:  # pragma: no cover - prefix race
            continue
        return api_key, raw_key
    raise DomainError("Could not allocate a key prefix; try again.")  # pragma: no cover


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey | int, user=None, now: datetime | None = None) -> ApiKey:
    now = now or timezone.now()
    pk = api_key.pk if isinstance(api_key, ApiKey) else api_key
    locked = ApiKey.objects.select_for_update().get(pk=pk)
    if locked.revoked_at is not None:
        raise DomainError("That key is already revoked.")
    locked.revoked_at = now
    history_save(locked, user=user, reason="API key revoked")
    return locked


@transaction.atomic
def api_key_update(
    *, api_key: ApiKey | int, user=None, name: str | None = None, scopes=None, reason: str = ""
) -> ApiKey:
    """Rename a key or change its scopes (a revoked key stays as it was)."""
    pk = api_key.pk if isinstance(api_key, ApiKey) else api_key
    locked = ApiKey.objects.select_for_update().get(pk=pk)
    if locked.revoked_at is not None:
        raise DomainError("A revoked key cannot be changed.")
    changed = []
    if name is not None and name.strip() and name.strip() != locked.name:
        locked.name = name.strip()
        changed.append("name")
    if scopes is not None:
        scopes = parse_scopes(scopes)
        if scopes != locked.scopes:
            locked.scopes = scopes
            changed.append("scopes")
    if changed:
        history_save(locked, user=user, reason=reason or "Changed " + ", ".join(changed))
    return locked


def api_key_authenticate(raw_key: str, *, now: datetime | None = None) -> ApiKey | None:
    """The active key whose hash matches `raw_key`, or None. Records the time of use."""
    parts = raw_key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX or not parts[1] or len(parts[1]) > 16:
        return None
    api_key = ApiKey.objects.select_related("user").filter(prefix=parts[1]).first()
    if api_key is None:
        # Same work as a hit, so timing does not tell a valid prefix from an invalid one.
        hmac.compare_digest(hash_key(raw_key), "0" * 64)
        return None
    if not hmac.compare_digest(api_key.key_hash, hash_key(raw_key)):
        return None
    if api_key.revoked_at is not None or not api_key.user.is_active:
        return None
    now = now or timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at >= LAST_USED_RESOLUTION:
        # Telemetry, not a change anyone makes: no history row for it.
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key
