"""Pulling snapshots from cameras and from Frigate: the URL, the auth, the fetch, the backoff.

Hikvision (`/ISAPI/Streaming/channels/101/picture`) and Dahua (`/cgi-bin/snapshot.cgi`) snapshot
URLs answer HTTP Digest, older firmware Basic; Frigate NVR serves each camera's latest frame at
`GET <base>/api/<camera>/latest.jpg`. What is fetched is checked and stored exactly like a push
(`Cctv.keep`), so the analysis does not know how a picture arrived.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from backend.core.errors import Invalid, TooLarge, UnsupportedMedia
from backend.core.settings import Settings


class PullFailed(Exception):
    """A camera gave no usable snapshot; the message is kept as the camera's `last_error`."""


def backoff_s(interval_s: int, failures: int, max_s: int) -> int:
    """Seconds until a failing camera is tried again: its interval doubled per consecutive
    failure, at most `max_s` (a dark camera costs one try every `max_s`, not every interval)."""
    if failures <= 0:
        return interval_s
    return min(max_s, interval_s * 2 ** min(failures, 20))


def snapshot_url(camera: dict[str, Any]) -> str:
    """Where a pull camera's picture is: its own URL, or Frigate's latest frame of the camera."""
    if camera["mode"] == "frigate":
        return f"{camera['snapshot_url'].rstrip('/')}/api/{camera['frigate_camera']}/latest.jpg"
    return camera["snapshot_url"]


def auth_for(camera: dict[str, Any]) -> httpx.Auth | None:
    if camera["auth"] == "basic":
        return httpx.BasicAuth(camera["username"], camera["password"])
    if camera["auth"] == "digest":
        return httpx.DigestAuth(camera["username"], camera["password"])
    return None


def client(settings: Settings) -> httpx.AsyncClient:
    """One client per pull run: no redirects followed (a camera's URL is what the admin typed),
    no proxy from the environment (cameras sit on the office network)."""
    return httpx.AsyncClient(
        timeout=httpx.Timeout(settings.cctv_pull_timeout_s),
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_connections=max(1, settings.cctv_pull_concurrency)),
        headers={"User-Agent": "hadir-cctv"},
    )


async def fetch(http: httpx.AsyncClient, camera: dict[str, Any], settings: Settings) -> bytes:
    """The camera's snapshot, read within `cctv_pull_timeout_s` in all (connect, auth round
    trip, body) and no larger than `cctv_max_bytes`. PullFailed says why not."""
    from backend.cctv.service import inspect_snapshot  # the same checks as a push

    try:
        async with asyncio.timeout(settings.cctv_pull_timeout_s):
            async with http.stream("GET", snapshot_url(camera), auth=auth_for(camera)) as answer:
                if answer.status_code != 200:
                    raise PullFailed(f"HTTP {answer.status_code} dari kamera")
                chunks, size = [], 0
                async for chunk in answer.aiter_bytes():
                    size += len(chunk)
                    if size > settings.cctv_max_bytes:
                        raise PullFailed("Snapshot terlalu besar")
                    chunks.append(chunk)
    except TimeoutError as exc:
        raise PullFailed(
            f"Kamera tidak menjawab dalam {settings.cctv_pull_timeout_s:g} detik"
        ) from exc
    except httpx.TimeoutException as exc:
        raise PullFailed(
            f"Kamera tidak menjawab dalam {settings.cctv_pull_timeout_s:g} detik"
        ) from exc
    except httpx.HTTPError as exc:
        raise PullFailed(f"Tidak dapat terhubung ke kamera ({type(exc).__name__})") from exc
    data = b"".join(chunks)
    try:
        inspect_snapshot(data, settings)
    except (Invalid, TooLarge, UnsupportedMedia) as exc:
        raise PullFailed(str(exc)) from exc
    return data
