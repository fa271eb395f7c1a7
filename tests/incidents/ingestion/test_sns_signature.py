"""SNS signature verification against a certificate served by a real local HTTP server."""

import base64
import datetime as dt
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

from incidents.ingestion import sns_signature
from incidents.ingestion.sns_signature import SignatureError, string_to_sign

from .payloads import sns_notification, sns_subscription_confirmation


@pytest.fixture(scope="module")
def signing_key():
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return key, certificate.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def cert_server(signing_key, settings):
    _, pem = signing_key

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.send_header("Content-Type", "application/x-pem-file")
            self.end_headers()
            self.wfile.write(pem)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # Tests serve the certificate over plain HTTP on loopback instead of an AWS host.
    settings.HARBORMASTER_SNS_CERT_SCHEMES = ("http",)
    settings.HARBORMASTER_SNS_CERT_HOST_PATTERN = r"127\.0\.0\.1"
    sns_signature._certificate.cache_clear()
    yield f"http://127.0.0.1:{server.server_address[1]}/SimpleNotificationService-test.pem"
    server.shutdown()
    sns_signature._certificate.cache_clear()


def signed(message, key, url, version="2"):
    message = {**message, "SignatureVersion": version, "SigningCertURL": url}
    digest = hashes.SHA256() if version == "2" else hashes.SHA1()
    signature = key.sign(string_to_sign(message), padding.PKCS1v15(), digest)
    message["Signature"] = base64.b64encode(signature).decode()
    return message


def test_string_to_sign_follows_the_documented_field_order():
    message = sns_notification(message_id="m-1")
    expected = "".join(
        f"{key}\n{message[key]}\n"
        for key in ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
    )
    assert string_to_sign(message).decode() == expected
    del message["Subject"]  # signed only when present
    assert "Subject" not in string_to_sign(message).decode()
    confirmation = sns_subscription_confirmation("s-1")
    expected = "".join(
        f"{key}\n{confirmation[key]}\n"
        for key in (
            "Message",
            "MessageId",
            "SubscribeURL",
            "Timestamp",
            "Token",
            "TopicArn",
            "Type",
        )
    )
    assert string_to_sign(confirmation).decode() == expected


@pytest.mark.parametrize("version", ["1", "2"])
def test_valid_signatures_verify(signing_key, cert_server, version):
    key, _ = signing_key
    sns_signature.verify(signed(sns_notification(), key, cert_server, version))
    sns_signature.verify(signed(sns_subscription_confirmation(), key, cert_server, version))


def test_a_changed_message_fails(signing_key, cert_server):
    key, _ = signing_key
    message = signed(sns_notification(), key, cert_server)
    message["Message"] = message["Message"].replace("ALARM", "OK")
    with pytest.raises(SignatureError, match="does not match"):
        sns_signature.verify(message)


def test_certificates_only_from_sns_hosts(signing_key, settings):
    key, _ = signing_key
    message = signed(sns_notification(), key, "https://evil.example.com/cert.pem")
    with pytest.raises(SignatureError, match="not an Amazon SNS host"):
        sns_signature.verify(message)
    message = signed(sns_notification(), key, "http://sns.eu-west-1.amazonaws.com/x.pem")
    with pytest.raises(SignatureError, match="HTTPS"):
        sns_signature.verify(message)
    sns_signature.check_cert_url(
        "https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem"
    )
