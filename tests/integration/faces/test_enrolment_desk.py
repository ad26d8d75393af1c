"""The BKD desk's face enrolment API: a photo checked before it is saved (no face, several
faces, a face too small, blurred: each in words), the references listed with who enrolled them
and a logged link to the photo, and a reference removed with its photo, audited."""

from __future__ import annotations

import httpx

from backend.core import audit
from backend.faces.tables import FaceReference, PhotoAccess
from tests.support.factories import TEACHER, by_role, jpeg, login
from tests.support.photos import blur, far_away, photo, selfie

BKD = by_role("bkd")


def blurred() -> bytes:
    return blur(selfie("obama.jpg"))


def far() -> bytes:
    return far_away(selfie("obama.jpg"))


def files(data: bytes) -> dict:
    return {"photo": ("foto.jpg", data, "image/jpeg")}


async def check(client: httpx.AsyncClient, headers: dict, data: bytes) -> httpx.Response:
    return await client.post(
        f"/api/v1/faces/{TEACHER.nip}/references/check", files=files(data), headers=headers
    )


async def test_each_bad_photo_is_named_before_saving(client: httpx.AsyncClient, clean) -> None:
    bkd = await login(client, BKD.nip)
    good = (await check(client, bkd, photo("obama.jpg"))).json()
    assert good["ok"] is True and good["problems"] == []
    assert good["faces"] == 1 and good["face_px"] > 200 and good["sharpness"] > 100

    cases = {
        "landscape.jpg": ("no_face", "Tidak ada wajah yang terlihat"),
        "faces.jpg": ("multiple_faces", "Terlihat 3 wajah"),
    }
    for name, (code, words) in cases.items():
        answer = (await check(client, bkd, photo(name))).json()
        assert answer["ok"] is False
        assert answer["problems"][0]["code"] == code
        assert answer["problems"][0]["message"].startswith(words)
    small = (await check(client, bkd, far())).json()
    assert [p["code"] for p in small["problems"]] == ["face_too_small"]
    assert "Wajah terlalu kecil" in small["problems"][0]["message"]
    soft = (await check(client, bkd, blurred())).json()
    assert [p["code"] for p in soft["problems"]] == ["blurred"]
    assert soft["problems"][0]["message"].startswith("Foto kabur")

    # Saving refuses the same photos, in the same words; nothing is stored.
    refused = await client.post(
        f"/api/v1/faces/{TEACHER.nip}/references", files=files(blurred()), headers=bkd
    )
    assert refused.status_code == 422
    assert refused.json()["detail"].startswith("Foto kabur")
    assert refused.json()["errors"][0]["field"] == "photo"
    assert await FaceReference.count() == 0

    not_jpeg = await check(client, bkd, b"GIF89a not a photo")
    assert not_jpeg.status_code == 422
    assert not_jpeg.json()["detail"] == "Foto referensi harus berupa JPEG yang utuh"
    no_part = await client.post(
        f"/api/v1/faces/{TEACHER.nip}/references/check", data={"x": "1"}, headers=bkd
    )
    assert 400 <= no_part.status_code < 500
    plain = (await check(client, bkd, jpeg(64, 64))).json()
    assert plain["problems"][0]["code"] == "no_face"


async def test_references_are_listed_with_their_enroller_and_removed_with_audit(
    client: httpx.AsyncClient, clean
) -> None:
    bkd = await login(client, BKD.nip)
    base = f"/api/v1/faces/{TEACHER.nip}/references"
    first = await client.post(base, files=files(photo("obama.jpg")), headers=bkd)
    second = await client.post(base, files=files(photo("obama2.jpg")), headers=bkd)
    assert first.status_code == second.status_code == 201, first.text
    assert first.json()["enrolled_by_nip"] == BKD.nip

    listed = (await client.get(base, headers=bkd)).json()
    assert [r["id"] for r in listed] == [first.json()["id"], second.json()["id"]]
    assert {r["enrolled_by_name"] for r in listed} == {BKD.name}
    thumb = await client.get(listed[0]["photo_url"])
    assert thumb.status_code == 200 and thumb.content == photo("obama.jpg")
    logged = await PhotoAccess.select().where(PhotoAccess.purpose == "enrolment")
    assert len(logged) == 2

    removed = await client.delete(f"{base}/{first.json()['id']}", headers=bkd)
    assert removed.status_code == 204
    assert [r["id"] for r in (await client.get(base, headers=bkd)).json()] == [second.json()["id"]]
    assert (await client.get(listed[0]["photo_url"])).status_code == 404  # the photo is gone
    again = await client.delete(f"{base}/{first.json()['id']}", headers=bkd)
    assert again.status_code == 404
    assert "tidak ditemukan" in again.json()["detail"]
    elsewhere = await client.delete(
        f"/api/v1/faces/{BKD.nip}/references/{second.json()['id']}", headers=bkd
    )
    assert elsewhere.status_code == 404  # a reference is removed only under its own NIP
    bad_id = await client.delete(f"{base}/0", headers=bkd)
    assert bad_id.status_code == 400

    trail = await audit.entries("faces_reference", TEACHER.nip)
    assert [e["action"] for e in trail] == ["face.remove", "face.enrol", "face.enrol"]
    assert trail[0]["actor"] == BKD.nip
    assert trail[0]["before"]["id"] == first.json()["id"] and trail[0]["after"] is None


async def test_an_asn_may_not_check_list_or_remove(client: httpx.AsyncClient, clean) -> None:
    asn = await login(client, TEACHER.nip)
    base = f"/api/v1/faces/{TEACHER.nip}/references"
    assert (await check(client, asn, photo("obama.jpg"))).status_code == 403
    assert (await client.get(base, headers=asn)).status_code == 403
    assert (await client.delete(f"{base}/1", headers=asn)).status_code == 403
