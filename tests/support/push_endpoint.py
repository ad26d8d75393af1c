"""A push service on loopback, doing what a browser vendor's does with a Web Push request.

It checks the VAPID token (RFC 8292: ES256 signature by the key in `k`, `aud` the endpoint's
origin, `exp` in the future, a `sub`), then decrypts the aes128gcm body (RFC 8291) with the
private key of the subscription it made, as the browser would, and keeps the plaintext.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import secrets
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import http_ece
import msgspec
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class Delivery(msgspec.Struct, frozen=True):
    """One notice as the browser would see it."""

    token: str  # which subscription
    text: str  # the decrypted payload
    claims: dict[str, Any]  # the VAPID token's claims
    vapid_key: str  # `k`: the sender's public key, base64url
    headers: dict[str, str]


class Browser(msgspec.Struct):
    """One subscription's secrets: what the browser keeps and never sends."""

    token: str
    endpoint: str
    private_key: ec.EllipticCurvePrivateKey
    auth: bytes

    def to_json(self) -> dict[str, Any]:
        """`PushSubscription.toJSON()` as the PWA posts it."""
        public = self.private_key.public_key().public_bytes(
            Encoding.X962, PublicFormat.UncompressedPoint
        )
        return {
            "endpoint": self.endpoint,
            "expirationTime": None,
            "keys": {"p256dh": b64url(public), "auth": b64url(self.auth)},
        }


class PushEndpoint:
    def __init__(self, host: str = "127.0.0.1") -> None:
        self.host = host
        self.browsers: dict[str, Browser] = {}
        self.deliveries: list[Delivery] = []
        self.refusals: list[tuple[str, int, str]] = []  # (token, status, why)
        self.answers: dict[str, int] = {}  # token -> status to answer instead (410, 500, ...)
        self._lock = threading.Lock()
        self._server: ThreadingHTTPServer | None = None

    @property
    def origin(self) -> str:
        assert self._server is not None
        return f"http://{self.host}:{self._server.server_address[1]}"

    def subscribe(self) -> Browser:
        """A new browser subscription on this service: a fresh P-256 key and auth secret."""
        token = secrets.token_urlsafe(16)
        browser = Browser(
            token=token,
            endpoint=f"{self.origin}/wpush/v2/{token}",
            private_key=ec.generate_private_key(ec.SECP256R1()),
            auth=os.urandom(16),
        )
        self.browsers[token] = browser
        return browser

    def answer(self, browser: Browser, status: int) -> None:
        """Answer every later push to this subscription with `status` (410: gone)."""
        self.answers[browser.token] = status

    def texts(self, browser: Browser | None = None) -> list[str]:
        with self._lock:
            return [d.text for d in self.deliveries if browser is None or d.token == browser.token]

    @contextlib.contextmanager
    def running(self) -> Iterator[PushEndpoint]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                status, why = endpoint._receive(self.path, dict(self.headers.items()), body)
                self.send_response(status)
                self.send_header("Content-Length", str(len(why.encode())))
                self.end_headers()
                self.wfile.write(why.encode())

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self._server = ThreadingHTTPServer((self.host, 0), Handler)
        self._server.daemon_threads = True
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join(timeout=5)

    def _receive(self, path: str, headers: dict[str, str], body: bytes) -> tuple[int, str]:
        headers = {name.lower(): value for name, value in headers.items()}
        token = path.rsplit("/", 1)[-1]
        browser = self.browsers.get(token)
        status, why = self._judge(browser, headers, body)
        with self._lock:
            if status == 201 and browser is not None:
                claims, key = _vapid(headers["authorization"])
                self.deliveries.append(
                    Delivery(
                        token=token,
                        text=why,
                        claims=claims,
                        vapid_key=key,
                        headers=headers,
                    )
                )
                return status, ""
            self.refusals.append((token, status, why))
        return status, why

    def _judge(
        self, browser: Browser | None, headers: dict[str, str], body: bytes
    ) -> tuple[int, str]:
        if browser is None:
            return 404, "no such subscription"
        if browser.token in self.answers:
            return self.answers[browser.token], "told to"
        if headers.get("content-encoding") != "aes128gcm":
            return 415, f"content-encoding {headers.get('content-encoding')!r}"
        if not headers.get("ttl", "").isdigit():
            return 400, "TTL header missing"
        try:
            claims, _ = _vapid(headers.get("authorization", ""))
        except (ValueError, KeyError, InvalidSignature) as exc:
            return 401, f"bad VAPID token: {exc!r}"
        if claims.get("aud") != self.origin:
            return 403, f"aud {claims.get('aud')!r} is not {self.origin!r}"
        if not isinstance(claims.get("exp"), int) or claims["exp"] <= time.time():
            return 403, "token expired"
        if not str(claims.get("sub", "")).startswith(("mailto:", "https:")):
            return 403, "sub missing"
        try:
            plain = http_ece.decrypt(
                body, private_key=browser.private_key, auth_secret=browser.auth, version="aes128gcm"
            )
        except Exception as exc:  # http_ece raises plain exceptions on a bad record
            return 400, f"cannot decrypt: {exc!r}"
        return 201, plain.decode()


def _vapid(authorization: str) -> tuple[dict[str, Any], str]:
    """Claims of a verified `vapid t=<jwt>,k=<key>` header, and the key."""
    scheme, _, rest = authorization.partition(" ")
    if scheme.lower() != "vapid":
        raise ValueError(f"scheme {scheme!r} is not vapid")
    parts = dict(part.strip().split("=", 1) for part in rest.split(","))
    signed, _, signature = parts["t"].rpartition(".")
    header = json.loads(unb64url(signed.split(".")[0]))
    if header.get("alg") != "ES256":
        raise ValueError(f"alg {header.get('alg')!r} is not ES256")
    public = ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), unb64url(parts["k"]))
    raw = unb64url(signature)
    if len(raw) != 64:
        raise ValueError("an ES256 signature is 64 bytes")
    der = encode_dss_signature(int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big"))
    public.verify(der, signed.encode(), ec.ECDSA(hashes.SHA256()))
    return json.loads(unb64url(signed.split(".")[1])), parts["k"]
