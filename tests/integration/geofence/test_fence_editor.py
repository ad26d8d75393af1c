"""The fence editor's API: a location's fence read, checked in metres, refused in words when it
cannot be used, saved with an audit entry, and the check-in's fence snapshot reloaded with only
that row; BKD and admins only."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import msgspec
import pytest
from litestar import Litestar

from backend.core import audit
from backend.core.app import CSP, create_app
from backend.core.db import open_engine
from backend.core.settings import Settings
from backend.geofence.tables import Location
from backend.org.tables import Unit
from tests.support import services as real
from tests.support.factories import TEACHER, by_role, login

CODE = "LOC-EDITOR-TEST"
CENTRE = [111.3890, -7.0410]
CROSSED = {
    "type": "Polygon",
    "coordinates": [
        [
            [111.389, -7.041],
            [111.390, -7.042],
            [111.390, -7.041],
            [111.389, -7.042],
            [111.389, -7.041],
        ]
    ],
}
SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [
            [111.389, -7.041],
            [111.390, -7.041],
            [111.390, -7.042],
            [111.389, -7.042],
            [111.389, -7.041],
        ]
    ],
}


@pytest.fixture
async def location(clean: Settings) -> AsyncIterator[int]:
    async with open_engine(clean):
        await Location.delete().where(Location.code == CODE)
        unit = await Unit.select(Unit.id).where(Unit.code == TEACHER.unit_code).first()
        [row] = await Location.insert(
            Location(
                code=CODE,
                name="Lapangan Uji Editor",
                unit=unit["id"],
                geometry={"type": "Point", "coordinates": CENTRE},
                radius_m=80.0,
            )
        ).returning(Location.id)
        yield row["id"]
        await Location.delete().where(Location.code == CODE)


@pytest.fixture
def app(clean: Settings) -> Litestar:
    return create_app(clean, face_executor=lambda: None)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with real.asgi_client(app) as client:
        yield client


def fence(location_id: int) -> str:
    return f"/api/v1/admin/locations/{location_id}/fence"


async def test_bkd_finds_reads_and_checks_a_fence(client: httpx.AsyncClient, location: int):
    bkd = await login(client, by_role("bkd").nip)
    found = await client.get("/api/v1/admin/locations", params={"q": "uji editor"}, headers=bkd)
    assert found.status_code == 200, found.text
    assert [i["code"] for i in found.json()["items"]] == [CODE]
    assert found.json()["items"][0]["kind"] == "circle"
    assert found.json()["tile_url"] is None

    read = (await client.get(fence(location), headers=bkd)).json()
    assert read["geometry"] == {"type": "Point", "coordinates": CENTRE}
    assert read["radius_m"] == 80.0
    assert read["report"]["ok"] is True
    assert read["report"]["area_m2"] == pytest.approx(3.14159 * 80**2, rel=1e-3)
    assert read["report"]["largest_distance_m"] == 160

    crossed = await client.post(f"{fence(location)}/check", json={"geometry": CROSSED}, headers=bkd)
    assert crossed.status_code == 200
    report = crossed.json()
    assert report["ok"] is False
    assert report["errors"][0]["code"] == "self_intersection"
    assert "saling bersilangan" in report["errors"][0]["message"]

    square = (
        await client.post(f"{fence(location)}/check", json={"geometry": SQUARE}, headers=bkd)
    ).json()
    assert square["ok"] is True and square["warnings"] == []
    # 0.001 degree of longitude at 7 degrees south is ~110.5 m, of latitude ~110.6 m.
    assert square["area_m2"] == pytest.approx(110.5 * 110.6, rel=0.01)
    assert square["largest_distance_m"] == pytest.approx(156.3, abs=0.5)

    unknown = await client.post(
        "/api/v1/admin/locations/2000000000/fence/check", json={"geometry": SQUARE}, headers=bkd
    )
    assert unknown.status_code == 404
    assert unknown.json()["detail"] == "Lokasi 2000000000 tidak ditemukan"
    not_an_object = await client.post(
        f"{fence(location)}/check", json={"geometry": [1, 2]}, headers=bkd
    )
    assert not_an_object.status_code == 400
    assert not_an_object.json()["errors"][0]["field"] == "geometry"

    far = (
        await client.post(
            f"{fence(location)}/check",
            json={"geometry": {"type": "Point", "coordinates": CENTRE}, "radius_m": 8000},
            headers=bkd,
        )
    ).json()
    assert [w["code"] for w in far["warnings"]] == ["too_large"]


async def test_saving_refuses_in_words_audits_and_reloads_only_that_fence(
    app: Litestar, client: httpx.AsyncClient, location: int
):
    admin = await login(client, by_role("admin").nip)
    geofences = app.state.services.geofences
    await geofences.snapshot.get()  # the book as check-ins see it before the change

    refused = await client.put(fence(location), json={"geometry": CROSSED}, headers=admin)
    assert refused.status_code == 422
    assert "saling bersilangan" in refused.json()["detail"]
    assert refused.json()["errors"][0]["field"] == "geometry"
    open_ring = {"type": "Polygon", "coordinates": [SQUARE["coordinates"][0][:-1]]}
    unclosed = await client.put(fence(location), json={"geometry": open_ring}, headers=admin)
    assert unclosed.status_code == 422
    assert "tidak tertutup" in unclosed.json()["detail"]
    no_radius = await client.put(
        fence(location), json={"geometry": {"type": "Point", "coordinates": CENTRE}}, headers=admin
    )
    assert no_radius.status_code == 422
    assert no_radius.json()["detail"] == "Lingkaran perlu jari-jari dalam meter"
    negative = await client.put(
        fence(location),
        json={"geometry": {"type": "Point", "coordinates": CENTRE}, "radius_m": -5},
        headers=admin,
    )
    assert negative.status_code == 400
    assert negative.json()["errors"][0] == {"field": "radius_m", "message": "harus > 0.0"}
    missing = await client.put(fence(location), json={"radius_m": 5}, headers=admin)
    assert missing.status_code == 400
    assert missing.json()["errors"][0]["message"] == "wajib diisi"
    unknown = await client.put(fence(2_000_000_000), json={"geometry": SQUARE}, headers=admin)
    assert unknown.status_code == 404

    small = await client.put(
        fence(location),
        json={"geometry": {"type": "Point", "coordinates": CENTRE}, "radius_m": 10},
        headers=admin,
    )
    assert small.status_code == 200, small.text
    assert [w["code"] for w in small.json()["report"]["warnings"]] == ["too_small"]
    book = await geofences.snapshot.get()
    assert book.locations[location].radius_m == 10
    assert geofences.last_reload.read == 1  # only the changed row was read again

    # An altitude some GPS tools write is dropped; the polygon is stored in two dimensions.
    with_altitude = {
        "type": "Polygon",
        "coordinates": [[[*p, 95.0] for p in SQUARE["coordinates"][0]]],
    }
    saved = await client.put(fence(location), json={"geometry": with_altitude}, headers=admin)
    assert saved.status_code == 200, saved.text
    assert saved.json()["geometry"] == SQUARE
    assert saved.json()["radius_m"] is None
    assert (await geofences.snapshot.get()).locations[location].radius_m is None

    [latest, first] = (await audit.entries("geofence_location", str(location)))[:2]
    assert first["action"] == latest["action"] == "geofence.update"
    assert first["actor"] == by_role("admin").nip
    assert first["before"]["radius_m"] == 80.0 and first["after"]["radius_m"] == 10
    assert latest["before"]["geometry"]["type"] == "Point"
    assert latest["after"]["geometry"] == SQUARE


async def test_an_asn_may_not_read_or_change_fences(client: httpx.AsyncClient, location: int):
    asn = await login(client, TEACHER.nip)
    for method, path, body in (
        ("GET", "/api/v1/admin/locations", None),
        ("GET", fence(location), None),
        ("POST", f"{fence(location)}/check", {"geometry": SQUARE}),
        ("PUT", fence(location), {"geometry": SQUARE}),
    ):
        response = await client.request(method, path, json=body, headers=asn)
        assert response.status_code == 403, (method, path, response.text)


async def test_a_tile_server_widens_img_src_to_its_origin_only(clean: Settings):
    plain = create_app(clean, face_executor=lambda: None)
    async with real.asgi_client(plain) as client:
        response = await client.get("/health")
    assert response.headers["content-security-policy"] == CSP
    tiled = create_app(
        msgspec.structs.replace(clean, tile_url="https://peta.bloraka.go.id/tiles/{z}/{x}/{y}.png"),
        face_executor=lambda: None,
    )
    async with real.asgi_client(tiled) as client:
        response = await client.get("/health")
        bkd = await login(client, by_role("bkd").nip)
        listed = await client.get("/api/v1/admin/locations", headers=bkd)
    csp = response.headers["content-security-policy"]
    assert "img-src 'self' blob: data: https://peta.bloraka.go.id:443;" in csp
    assert csp.count("peta.bloraka.go.id") == 1
    assert listed.json()["tile_url"] == "https://peta.bloraka.go.id/tiles/{z}/{x}/{y}.png"
    with pytest.raises(msgspec.ValidationError):
        Settings.from_env({"HADIR_TILE_URL": "ftp://peta/{z}/{x}/{y}"})
