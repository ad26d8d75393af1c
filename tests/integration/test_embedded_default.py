"""The first README command's setup: SQLite file, objects on local disk, jobs in-process with the
face models in a process pool, data kept across restarts."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from backend.core.app import create_app
from backend.core.db import migrate, open_engine
from backend.core.settings import Settings
from backend.demo import seed_demo
from backend.services import open_services
from tests.support.factories import TEACHER, checkin_files, login, meta
from tests.support.photos import photo, selfie
from tests.support.services import asgi_client


async def wait_settled(client: httpx.AsyncClient, headers: dict[str, str], checkin_id: int) -> dict:
    for _ in range(300):
        body = (await client.get(f"/api/v1/checkins/{checkin_id}", headers=headers)).json()
        if body["status"] != "pending":
            return body
        await asyncio.sleep(0.1)
    raise AssertionError(f"check-in {checkin_id} still pending")


@pytest.mark.timeout(180)
async def test_the_embedded_default_runs_the_whole_flow(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path))
    async with open_engine(settings) as engine:
        await migrate(engine)
        await seed_demo(default_max_accuracy_m=settings.default_max_accuracy_m)
        await seed_demo(default_max_accuracy_m=settings.default_max_accuracy_m)  # idempotent
    async with open_services(settings, face_executor=lambda: None) as services:
        await services.faces.enrol(TEACHER.nip, photo("obama.jpg"), enrolled_by=None)

    async with asgi_client(create_app(settings)) as client:  # the real process pool
        assert (await client.get("/health")).json()["status"] == "ok"
        headers = await login(client)
        body = meta()
        created = await client.post(
            "/api/v1/checkins", files=checkin_files(body, selfie("obama2.jpg")), headers=headers
        )
        assert created.status_code == 201
        settled = await wait_settled(client, headers, created.json()["id"])
        assert settled["status"] == "accepted", settled

    assert (tmp_path / "hadir.sqlite").is_file()
    stored = list((tmp_path / "objects" / "selfies").rglob("*.jpg"))
    assert [p.name for p in stored] == [f"{body['client_id']}.jpg"]

    # A restart keeps everything: the replay is answered from the stored record.
    async with asgi_client(create_app(settings, face_executor=lambda: None)) as client:
        headers = await login(client)
        replay = await client.post(
            "/api/v1/checkins", files=checkin_files(body, selfie("obama2.jpg")), headers=headers
        )
        assert replay.status_code == 200
        assert replay.json()["status"] == "accepted"


async def test_local_presigned_urls_expire_and_cannot_be_forged(tmp_path: Path) -> None:
    settings = Settings(data_dir=str(tmp_path)).with_secret()
    async with open_services(settings, face_executor=lambda: None) as services:
        await services.store.put("selfies/x/y.jpg", b"\xff\xd8data\xff\xd9", "image/jpeg")
        url = await services.store.presigned_get_url("selfies/x/y.jpg", 60)
        expired = await services.store.presigned_get_url("selfies/x/y.jpg", -1)
    async with asgi_client(create_app(settings, face_executor=lambda: None)) as client:
        ok = await client.get(url)
        assert ok.status_code == 200 and ok.content == b"\xff\xd8data\xff\xd9"
        assert (await client.get(expired)).status_code == 404
        assert (
            await client.get(url.replace("selfies/x/y.jpg", "selfies/x/z.jpg"))
        ).status_code == 404
        assert (await client.get(url[:-4] + "0000")).status_code == 404


@pytest.mark.timeout(180)
async def test_the_desks_work_on_sqlite(tmp_path: Path) -> None:
    """Fence editor, face enrolment desk and account trail on the embedded default: search
    (LIKE), the save's transaction (no row locks on SQLite) and the reload."""
    from tests.support.factories import by_role

    settings = Settings(data_dir=str(tmp_path))
    async with open_engine(settings) as engine:
        await migrate(engine)
        await seed_demo(default_max_accuracy_m=settings.default_max_accuracy_m)
    app = create_app(settings, face_executor=lambda: None)
    async with asgi_client(app) as client:
        bkd = await login(client, by_role("bkd").nip)
        [school] = (
            await client.get("/api/v1/admin/locations", params={"q": "bleboh"}, headers=bkd)
        ).json()["items"]
        path = f"/api/v1/admin/locations/{school['id']}/fence"
        fence = (await client.get(path, headers=bkd)).json()
        saved = await client.put(
            path, json={"geometry": fence["geometry"], "radius_m": 45}, headers=bkd
        )
        assert saved.status_code == 200, saved.text
        book = await app.state.services.geofences.snapshot.get()
        assert book.locations[school["id"]].radius_m == 45

        refs = f"/api/v1/faces/{TEACHER.nip}/references"
        enrolled = await client.post(
            refs, files={"photo": ("a.jpg", photo("obama.jpg"), "image/jpeg")}, headers=bkd
        )
        assert enrolled.status_code == 201, enrolled.text
        [listed] = (await client.get(refs, headers=bkd)).json()
        assert (await client.get(listed["photo_url"])).status_code == 200
        assert (await client.delete(f"{refs}/{listed['id']}", headers=bkd)).status_code == 204
        found = await client.get("/api/v1/admin/employees", params={"q": "Nurhayati"}, headers=bkd)
        assert [e["nip"] for e in found.json()["items"]] == [TEACHER.nip]
        trail = await client.get(f"/api/v1/admin/employees/{TEACHER.nip}/audit", headers=bkd)
        assert [e["action"] for e in trail.json()["items"]] == ["face.remove", "face.enrol"]

        # The review queue by spoof-risk on SQLite: COALESCE order and its own cursor.
        import datetime as dt
        import uuid

        from backend.attendance.tables import CheckIn
        from backend.org.tables import Employee

        teacher = await Employee.select(Employee.id).where(Employee.nip == TEACHER.nip).first()
        at = dt.datetime(2026, 1, 5, 1, tzinfo=dt.UTC)
        ids = []
        for score in (12.5, None, 70.0):
            rows = await CheckIn.insert(
                CheckIn(
                    client_id=uuid.uuid4(),
                    employee=teacher["id"],
                    kind="in",
                    captured_at=at,
                    sent_at=at,
                    received_at=at,
                    corrected_captured_at=at,
                    work_date=at.date(),
                    status="flagged",
                    reasons=[{"code": "no_location", "message": "x"}],
                    content_hash="0" * 64,
                    risk_score=score,
                )
            ).returning(CheckIn.id)
            ids.append(rows[0]["id"])
        walked, cursor = [], None
        while True:
            params = {"order": "risk", "limit": 1, **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/api/v1/reviews", params=params, headers=bkd)).json()
            walked += [item["checkin"]["id"] for item in page["items"]]
            if not (cursor := page["next_cursor"]):
                break
        assert walked == [ids[2], ids[0], ids[1]]
