"""Helpers for the CCTV tests: a registered camera and its pushes."""

from __future__ import annotations

import io
from typing import Any

import httpx
from PIL import Image

from backend.geofence.tables import Location
from tests.support.factories import by_role, login


def picture(
    width: int = 320, height: int = 240, colour: tuple[int, int, int] = (90, 120, 60)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG", quality=70)
    return buffer.getvalue()


async def location_id(code: str = "LOC-DPMPTSP") -> int:
    row = await Location.select(Location.id).where(Location.code == code).first()
    assert row is not None
    return row["id"]


async def admin(client: httpx.AsyncClient) -> dict[str, str]:
    return await login(client, by_role("admin").nip)


async def camera(
    client: httpx.AsyncClient, headers: dict[str, str], **fields: Any
) -> dict[str, Any]:
    body = {
        "code": "CAM-GERAI-1",
        "name": "Gerai Samsat",
        "location_id": await location_id(),
        "mode": "push",
        **fields,
    }
    created = await client.post("/api/v1/cctv/cameras", json=body, headers=headers)
    assert created.status_code == 201, created.text
    return created.json()


async def push(
    client: httpx.AsyncClient, code: str, key: str, data: bytes, **kwargs: Any
) -> httpx.Response:
    return await client.post(
        "/api/v1/cctv/snapshots",
        content=data,
        headers={"Content-Type": "image/jpeg", **kwargs.pop("headers", {})},
        auth=(code, key),
        **kwargs,
    )


async def cctv_world(client: httpx.AsyncClient) -> tuple[int, int]:
    """(location id, camera id) of one registered camera, for the policy matrix."""
    created = await camera(client, await admin(client), code="CAM-WORLD")
    return await location_id(), created["camera"]["id"]
