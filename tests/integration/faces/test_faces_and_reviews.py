"""Enrolment, the BKD review desk with its audit log, photo access logging and retention."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import httpx
import msgspec

from backend.attendance.tables import CheckIn, Review
from backend.faces.tables import PhotoAccess
from backend.services import open_services
from tests.support.factories import TEACHER, by_role, checkin_files, login, meta
from tests.support.jobs import drain
from tests.support.photos import photo, selfie


async def settle(settings) -> None:
    await drain(settings)


async def enrol(
    client: httpx.AsyncClient, headers: dict[str, str], name: str, nip: str = TEACHER.nip
):
    return await client.post(
        f"/api/v1/faces/{nip}/references",
        files={"photo": (name, photo(name), "image/jpeg")},
        headers=headers,
    )


async def test_bkd_enrols_a_reference_of_exactly_one_face(client, clean):
    bkd = await login(client, by_role("bkd").nip)
    created = await enrol(client, bkd, "obama.jpg")
    assert created.status_code == 201, created.text
    assert created.json()["nip"] == TEACHER.nip
    group = await enrol(client, bkd, "faces.jpg")
    assert group.status_code == 422
    assert group.json()["detail"] == "Foto referensi harus memuat tepat satu wajah; ada 3 wajah"
    empty = await enrol(client, bkd, "landscape.jpg")
    assert empty.json()["detail"] == "Foto referensi harus memuat tepat satu wajah; tidak ada wajah"
    listed = (await client.get(f"/api/v1/faces/{TEACHER.nip}/references", headers=bkd)).json()
    assert [r["id"] for r in listed] == [created.json()["id"]]
    unknown = await enrol(client, bkd, "obama.jpg", nip="199001012015031999")
    assert unknown.status_code == 404


async def test_only_bkd_may_enrol_or_review(client, teacher):
    assert (await enrol(client, teacher, "obama.jpg")).status_code == 403
    assert (await client.get("/api/v1/reviews", headers=teacher)).status_code == 403
    principal = await login(client, by_role("kepala_unit", unit_code=TEACHER.unit_code).nip)
    assert (await client.get("/api/v1/reviews", headers=principal)).status_code == 403
    assert (
        await client.post("/api/v1/reviews/1", json={"decision": "accept"}, headers=teacher)
    ).status_code == 403


async def test_the_review_desk_shows_flags_with_photos_and_audits_each_decision(
    client, teacher, clean
):
    bkd_person = by_role("bkd")
    bkd = await login(client, bkd_person.nip)
    assert (await enrol(client, bkd, "obama.jpg")).status_code == 201
    mismatch = (
        await client.post(
            "/api/v1/checkins", files=checkin_files(meta(), selfie("biden.jpg")), headers=teacher
        )
    ).json()
    fine = (
        await client.post(
            "/api/v1/checkins", files=checkin_files(meta(), selfie("obama2.jpg")), headers=teacher
        )
    ).json()
    await settle(clean)

    queue = (await client.get("/api/v1/reviews", headers=bkd)).json()["items"]
    assert [item["checkin"]["id"] for item in queue] == [
        mismatch["id"]
    ]  # accepted ones are not there
    item = queue[0]
    assert item["employee"]["nip"] == TEACHER.nip
    assert item["checkin"]["reasons"][-1]["code"] == "face_mismatch"
    assert item["location"]["geometry"]["type"] == "Point"
    for url in (item["selfie_url"], item["reference_url"]):
        # Same-origin signed links (the PWA's CSP allows images from 'self' only), fetched with
        # no token; the bytes come from the S3 server.
        assert url.startswith("/api/v1/objects/")
        image = await client.get(url)
        assert image.status_code == 200 and image.content.startswith(b"\xff\xd8")
        assert image.headers["content-type"] == "image/jpeg"
        assert (await client.get(url.replace("signature=", "signature=0"))).status_code == 404
    accesses = await PhotoAccess.select().where(PhotoAccess.checkin_id == mismatch["id"])
    assert len(accesses) == 2 and {a["purpose"] for a in accesses} == {"review"}

    filtered = await client.get("/api/v1/reviews", params={"reason": "no_face"}, headers=bkd)
    assert filtered.json()["items"] == []
    by_unit = await client.get(
        "/api/v1/reviews",
        params={"unit": TEACHER.unit_code, "date": mismatch["work_date"]},
        headers=bkd,
    )
    assert len(by_unit.json()["items"]) == 1

    decided = await client.post(
        f"/api/v1/reviews/{mismatch['id']}",
        json={"decision": "reject", "note": "Bukan orangnya"},
        headers=bkd,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "rejected"
    assert (
        decided.json()["reasons"][-1]["message"]
        == f"Ditolak oleh BKD ({bkd_person.name}): Bukan orangnya"
    )
    again = await client.post(
        f"/api/v1/reviews/{mismatch['id']}", json={"decision": "accept"}, headers=bkd
    )
    assert again.status_code == 409
    not_flagged = await client.post(
        f"/api/v1/reviews/{fine['id']}", json={"decision": "reject"}, headers=bkd
    )
    assert not_flagged.status_code == 409
    bad = await client.post(
        f"/api/v1/reviews/{mismatch['id']}", json={"decision": "maybe"}, headers=bkd
    )
    assert bad.status_code == 400 and "decision" in bad.json()["detail"]
    [audit] = await Review.select().where(Review.checkin == mismatch["id"])
    assert audit["decision"] == "reject" and audit["note"] == "Bukan orangnya"
    assert audit["previous_status"] == "flagged" and audit["new_status"] == "rejected"
    assert (await client.get("/api/v1/reviews", headers=bkd)).json()["items"] == []


async def test_selfies_past_retention_are_deleted_and_the_verdict_stays(client, teacher, clean):
    stored = (
        await client.post(
            "/api/v1/checkins", files=checkin_files(meta(), selfie("obama.jpg")), headers=teacher
        )
    ).json()
    await settle(clean)
    old = dt.datetime.now(dt.UTC) - dt.timedelta(days=clean.selfie_retention_days + 1)
    await CheckIn.update({CheckIn.received_at: old}).where(CheckIn.id == stored["id"])
    [row] = await CheckIn.select(CheckIn.selfie_key).where(CheckIn.id == stored["id"])
    async with open_services(clean, face_executor=lambda: None) as services:
        assert await services.store.exists(row["selfie_key"])
        from backend.attendance.jobs import purge_selfies

        assert await purge_selfies({"services": services}) == 1
        assert not await services.store.exists(row["selfie_key"])
    [after] = await CheckIn.select(CheckIn.selfie_key, CheckIn.status).where(
        CheckIn.id == stored["id"]
    )
    assert after == {
        "selfie_key": "",
        "status": "flagged",
    }  # not enrolled: still flagged, photo gone


def test_the_enrol_command_reads_a_folder_named_by_nip(server_env, clean, tmp_path: Path) -> None:
    (tmp_path / f"{TEACHER.nip}.jpg").write_bytes(photo("obama.jpg"))
    colleague = by_role("kepala_unit", unit_code=TEACHER.unit_code).nip
    (tmp_path / f"{colleague}.jpg").write_bytes(photo("faces.jpg"))
    done = subprocess.run(
        [sys.executable, "-m", "backend.cli", "enrol-faces", str(tmp_path)],
        env=server_env | {"PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    report = msgspec.json.decode(done.stdout[done.stdout.index("{") :])
    assert done.returncode == 1  # one refused
    assert report["enrolled"] == [f"{TEACHER.nip}.jpg"]
    assert "3 wajah" in report["refused"][f"{colleague}.jpg"]
