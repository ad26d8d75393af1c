"""Fake IP cameras and a fake Frigate NVR on loopback, for the pull tests.

`CameraServer` answers like the snapshot URLs of real cameras: HTTP Basic (`/basic/...`), HTTP
Digest with MD5 and qop=auth as Hikvision/Dahua firmware does (`/digest/...`), none
(`/open/...`), and Frigate's `GET /api/<camera>/latest.jpg`. Each path serves the JPEG put in
`pictures`; every request is counted in `hits`. `silent_port()` is a port that accepts TCP
connections and never answers (a hung camera); `closed_port()` one that refuses them (dark).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import socket
import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

USER, PASSWORD = "admin", "Kamera#2026"
REALM = "IP Camera(C1234)"


def _md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()


class CameraServer:
    def __init__(self) -> None:
        self.pictures: dict[str, bytes] = {}
        self.hits: Counter[str] = Counter()
        self.nonces: set[str] = set()
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return None

            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                server.hits[path] += 1
                if path.startswith("/basic/") and not server.basic_ok(self.headers):
                    return self.challenge('Basic realm="' + REALM + '"')
                if path.startswith("/digest/") and not server.digest_ok(self.headers):
                    nonce = secrets.token_hex(16)
                    server.nonces.add(nonce)
                    return self.challenge(
                        f'Digest realm="{REALM}", qop="auth", nonce="{nonce}", algorithm=MD5'
                    )
                data = server.pictures.get(path)
                if data is None:
                    self.send_response(404)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def challenge(self, header: str) -> None:
                self.send_response(401)
                self.send_header("WWW-Authenticate", header)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base = f"http://127.0.0.1:{self.port}"

    def basic_ok(self, headers) -> bool:
        expected = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        return headers.get("Authorization", "") == f"Basic {expected}"

    def digest_ok(self, headers) -> bool:
        header = headers.get("Authorization", "")
        if not header.startswith("Digest "):
            return False
        fields = dict(re.findall(r'(\w+)="?([^",]*)"?', header[len("Digest ") :]))
        if fields.get("username") != USER or fields.get("nonce") not in self.nonces:
            return False
        ha1 = _md5(f"{USER}:{REALM}:{PASSWORD}")
        ha2 = _md5(f"GET:{fields.get('uri', '')}")
        response = _md5(
            f"{ha1}:{fields['nonce']}:{fields.get('nc', '')}:{fields.get('cnonce', '')}:"
            f"{fields.get('qop', '')}:{ha2}"
        )
        return fields.get("response") == response

    @contextmanager
    def running(self) -> Iterator[CameraServer]:
        thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.httpd.shutdown()
            self.httpd.server_close()


@contextmanager
def silent_port() -> Iterator[int]:
    """A port whose listener takes connections (the kernel's backlog) and never says a word."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(16)
    try:
        yield sock.getsockname()[1]
    finally:
        sock.close()


def closed_port() -> int:
    """A port nothing listens on: connections are refused at once."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port
