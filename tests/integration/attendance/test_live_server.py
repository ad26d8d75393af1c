"""Against the production server (granian) on PostgreSQL and S3: a client that drops mid-upload
stores nothing, and the retry lands once."""

from __future__ import annotations

import socket
from urllib.parse import urlparse

import httpx
import msgspec
import pytest

from tests.support.factories import PASSWORD, TEACHER, jpeg, meta
from tests.support.services import live_server


def multipart(body: dict, selfie: bytes) -> tuple[bytes, str]:
    boundary = "hadirboundary7MA4YWxkTrZu0gW"
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="meta"\r\nContent-Type: application/json\r\n\r\n'.encode()
        + msgspec.json.encode(body)
        + b"\r\n",
        f'--{boundary}\r\nContent-Disposition: form-data; name="selfie"; filename="s.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'.encode()
        + selfie
        + b"\r\n",
        f"--{boundary}--\r\n".encode(),
    ]
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def send_half_and_hang_up(base: str, token: str, payload: bytes, content_type: str) -> None:
    url = urlparse(base)
    head = (
        f"POST /api/v1/checkins HTTP/1.1\r\nHost: {url.netloc}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: {content_type}\r\nContent-Length: {len(payload)}\r\n\r\n"
    ).encode()
    with socket.create_connection((url.hostname, url.port), timeout=5) as sock:
        sock.sendall(head + payload[: len(payload) // 2])
    # The socket is closed here: the phone lost its signal halfway through the selfie.


@pytest.mark.timeout(120)
def test_a_request_cut_mid_upload_stores_nothing_and_the_retry_lands_once(
    server_env, clean
) -> None:
    with live_server(server_env) as base, httpx.Client(base_url=base, timeout=10) as client:
        token = client.post(
            "/api/v1/auth/login", json={"nip": TEACHER.nip, "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        body = meta()
        payload, content_type = multipart(body, jpeg() + b"\x00" * 20_000)
        for _ in range(3):
            send_half_and_hang_up(base, token, payload, content_type)
        today = client.get("/api/v1/checkins", headers=headers).json()["items"]
        assert [c for c in today if c["client_id"] == body["client_id"]] == []

        first = client.post(
            "/api/v1/checkins", content=payload, headers={**headers, "Content-Type": content_type}
        )
        assert first.status_code == 201, first.text
        again = client.post(
            "/api/v1/checkins", content=payload, headers={**headers, "Content-Type": content_type}
        )
        assert again.status_code == 200
        today = client.get("/api/v1/checkins", headers=headers).json()["items"]
        assert [c["client_id"] for c in today].count(body["client_id"]) == 1
