"""Small builders for test requests: demo logins, selfies, check-in bodies."""

from __future__ import annotations

import datetime as dt
import io
import uuid
from typing import Any

import msgspec
from PIL import Image

from backend.org import demo_data

TEACHER = demo_data.EMPLOYEES[0]  # an ordinary ASN at the remote school
PASSWORD = demo_data.DEMO_PASSWORD


def by_role(role: str, *, unit_code: str | None = None) -> demo_data.DemoEmployee:
    return next(
        e
        for e in demo_data.EMPLOYEES
        if role in e.roles and (unit_code is None or e.unit_code == unit_code)
    )


async def login(client: Any, nip: str = TEACHER.nip, password: str = PASSWORD) -> dict[str, str]:
    response = await client.post("/api/v1/auth/login", json={"nip": nip, "password": password})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def jpeg(
    width: int = 480, height: int = 640, colour: tuple[int, int, int] = (180, 140, 120)
) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def school_point() -> tuple[float, float]:
    """(lon, lat) of the remote school's circle centre, from the demo data."""
    location = next(loc for loc in demo_data.LOCATIONS if loc.unit_code == TEACHER.unit_code)
    lon, lat = location.geometry["coordinates"]
    return lon, lat


def meta(**overrides: Any) -> dict[str, Any]:
    lon, lat = school_point()
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    body: dict[str, Any] = {
        "client_id": str(uuid.uuid4()),
        "kind": "in",
        "lat": lat,
        "lon": lon,
        "accuracy_m": 10.0,
        "captured_at": now.isoformat(),
        "sent_at": now.isoformat(),
    }
    body.update(overrides)
    return body


def checkin_files(body: dict[str, Any], selfie: bytes | None = None) -> dict[str, Any]:
    return {
        "meta": ("meta.json", msgspec.json.encode(body), "application/json"),
        "selfie": ("selfie.jpg", jpeg() if selfie is None else selfie, "image/jpeg"),
    }
