"""`Idempotency-Key` on POST: a retry with the same key and body gets the first response and
changes nothing; the same key with a different request is refused (422).

    from incidents.api.idempotency import IdempotentMixin
    class MyView(IdempotentMixin, APIView): ...

How it holds under concurrency: the whole request runs in one transaction that starts by
inserting the IdempotencyRecord (unique on client + key). A concurrent duplicate blocks on
that unique index until the first commits, then sees its stored response and replays it;
if the first failed with a 5xx, everything (record included) rolled back and the retry
runs afresh. 4xx answers are stored and replayed like successes."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import HttpResponse
from django.utils import timezone
from rest_framework import status
from rest_framework.renderers import JSONRenderer

from ..models import IdempotencyRecord
from .authentication import request_api_key
from .errors import ApiError

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
_VALID_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, no spaces
_KEPT_HEADERS = ("Location", "ETag")


class _Replay(Exception):
    def __init__(self, record: IdempotencyRecord):
        self.record = record


def client_identity(request) -> str:
    api_key = request_api_key(request)
    if api_key is not None:
        return f"key:{api_key.pk}"
    return f"user:{request.user.pk}"


def request_fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, separators=(",", ":"), default=str)
    material = "\n".join([request.method, request.get_full_path(), body])
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _ttl() -> timedelta:
    return timedelta(hours=settings.HARBORMASTER_IDEMPOTENCY_TTL_HOURS)


def claim(*, client: str, key: str, request_hash: str, method: str, path: str):
    """Insert the record (→ (record, True)) or return the committed one (→ (record, False))."""
    now = timezone.now()
    for _attempt in range(2):
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    client=client,
                    key=key,
                    method=method,
                    path=path[:2048],
                    request_hash=request_hash,
                    created_at=now,
                )
            return record, True
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(client=client, key=key).first()
            if existing is None:  # pragma: no cover - deleted in between
                continue
            if existing.created_at < now - _ttl():
                existing.delete()  # expired: the key may be used again
                continue
            return existing, False
    raise ApiError(  # pragma: no cover
        "Could not record the Idempotency-Key; retry.", status_code=status.HTTP_409_CONFLICT
    )


def purge_expired(*, client: str | None = None) -> int:
    records = IdempotencyRecord.objects.filter(created_at__lt=timezone.now() - _ttl())
    if client is not None:
        records = records.filter(client=client)
    return records.delete()[0]


class IdempotentMixin:
    """For DRF views: POSTs with an `Idempotency-Key` header are recorded and replayed."""

    idempotent_methods = ("POST",)

    def _wants_idempotency(self, request) -> bool:
        return request.method in self.idempotent_methods and HEADER in request.headers

    def dispatch(self, request, *args, **kwargs):
        self._idempotency_record = None
        if self._wants_idempotency(request):
            # One transaction for the claim, the work and the stored answer.
            with transaction.atomic():
                response = super().dispatch(request, *args, **kwargs)
                if response.status_code >= 500:
                    transaction.set_rollback(True)  # nothing kept: a retry runs afresh
                return response
        return super().dispatch(request, *args, **kwargs)

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)  # authentication, permissions, throttles
        if not self._wants_idempotency(request):
            return
        key = request.headers[HEADER]
        if not _VALID_KEY.match(key):
            raise ApiError(
                f"{HEADER} must be 1 to 255 visible ASCII characters (a UUID is a good choice).",
                status_code=status.HTTP_400_BAD_REQUEST,
                errors={HEADER: ["1 to 255 visible ASCII characters."]},
            )
        client = client_identity(request)
        purge_expired(client=client)
        record, created = claim(
            client=client,
            key=key,
            request_hash=request_fingerprint(request),
            method=request.method,
            path=request.get_full_path(),
        )
        if created:
            self._idempotency_record = record
            return
        if record.request_hash != request_fingerprint(request):
            raise ApiError(
                f"This {HEADER} was already used for a different request "
                f"({record.method} {record.path} with another body). Use a new key for a "
                "new request; resend the identical request to get the first response.",
                status_code=status.HTTP_422_UNPROCESSABLE_ENTITY,
                errors={HEADER: ["Already used with a different request."]},
            )
        if record.response_status is None:  # pragma: no cover - see module docstring
            raise ApiError(
                f"A request with this {HEADER} is still being processed; retry shortly.",
                status_code=status.HTTP_409_CONFLICT,
            )
        raise _Replay(record)

    def handle_exception(self, exc):
        if isinstance(exc, _Replay):
            record = exc.record
            response = HttpResponse(
                record.response_body,
                status=record.response_status,
                content_type="application/json",
            )
            for name, value in (record.response_headers or {}).items():
                response[name] = value
            response[REPLAYED_HEADER] = "true"
            return response
        return super().handle_exception(exc)

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        record = getattr(self, "_idempotency_record", None)
        if record is not None and response.status_code < 500:
            data = getattr(response, "data", None)
            record.response_status = response.status_code
            record.response_body = (
                JSONRenderer().render(data).decode("utf-8") if data is not None else ""
            )
            record.response_headers = {
                name: response[name] for name in _KEPT_HEADERS if response.has_header(name)
            }
            record.save(update_fields=["response_status", "response_body", "response_headers"])
            self._idempotency_record = None
        return response
