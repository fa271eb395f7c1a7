"""Verify Amazon SNS message signatures (SignatureVersion 1: SHA1, 2: SHA256, RSA PKCS#1).

Enabled with HARBORMASTER_SNS_VERIFY_SIGNATURES. The signing certificate is fetched from
SigningCertURL, which must be HTTPS on an SNS host (HARBORMASTER_SNS_CERT_HOST_PATTERN),
and cached per URL."""

from __future__ import annotations

import base64
import re
import urllib.request
from functools import lru_cache
from urllib.parse import urlparse

from django.conf import settings

# The fields signed for each message type, in this order (AWS SNS documentation).
SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": (
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ),
}
SIGNED_FIELDS["UnsubscribeConfirmation"] = SIGNED_FIELDS["SubscriptionConfirmation"]


class SignatureError(Exception):
    pass


def string_to_sign(message: dict) -> bytes:
    """The canonical text SNS signs: "Key\\nValue\\n" for each present signed field."""
    fields = SIGNED_FIELDS.get(message.get("Type", ""))
    if fields is None:
        raise SignatureError("Unknown SNS message type.")
    parts = []
    for name in fields:
        if name == "Subject" and name not in message:
            continue  # Subject is signed only when present
        if name not in message:
            raise SignatureError(f"{name} is missing.")
        parts.append(f"{name}\n{message[name]}\n")
    return "".join(parts).encode()


def check_cert_url(url: str) -> None:
    parsed = urlparse(url or "")
    allowed_schemes = settings.HARBORMASTER_SNS_CERT_SCHEMES
    if parsed.scheme not in allowed_schemes:
        raise SignatureError("SigningCertURL must use HTTPS.")
    if not re.fullmatch(settings.HARBORMASTER_SNS_CERT_HOST_PATTERN, parsed.hostname or ""):
        raise SignatureError("SigningCertURL is not an Amazon SNS host.")
    if not parsed.path.endswith(".pem"):
        raise SignatureError("SigningCertURL is not a certificate.")


@lru_cache(maxsize=32)
def _certificate(url: str):
    from cryptography import x509

    with urllib.request.urlopen(url, timeout=5) as response:  # the URL was checked above
        return x509.load_pem_x509_certificate(response.read())


def verify(message: dict) -> None:
    """Raise SignatureError unless `message` carries a valid SNS signature."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    version = str(message.get("SignatureVersion", ""))
    algorithm = {"1": hashes.SHA1(), "2": hashes.SHA256()}.get(version)
    if algorithm is None:
        raise SignatureError("Unsupported SignatureVersion.")
    url = message.get("SigningCertURL", "")
    check_cert_url(url)
    try:
        signature = base64.b64decode(message.get("Signature", ""), validate=True)
    except ValueError:
        raise SignatureError("Signature is not base64.") from None
    try:
        certificate = _certificate(url)
    except Exception as error:
        raise SignatureError(f"Could not fetch the signing certificate: {error}") from None
    try:
        certificate.public_key().verify(
            signature, string_to_sign(message), padding.PKCS1v15(), algorithm
        )
    except InvalidSignature:
        raise SignatureError("The signature does not match the message.") from None
