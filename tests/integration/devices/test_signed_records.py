"""Signed, hash-chained records through the real API, signed by a Python twin of the PWA's
WebCrypto key (ECDSA P-256, raw r || s): a good chain is accepted; forged, edited, reordered,
removed and unregistered records are stored and flagged with their reason, never dropped."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import msgspec
from cryptography.hazmat.primitives.asymmetric import ec

from backend.devices.tables import ChainLink
from tests.support.devicekeys import DeviceSigner, chain_part
from tests.support.factories import TEACHER, by_role, jpeg, login, meta

CHAIN_CODES = {"device_unregistered", "signature_invalid", "chain_broken"}


async def register(client: httpx.AsyncClient, headers: dict[str, str], signer: DeviceSigner):
    return await client.post(
        "/api/v1/devices",
        json={"public_key": signer.spki, "label": "Chrome di Android"},
        headers=headers,
    )


async def send(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    body: dict[str, Any],
    block: dict[str, Any] | None,
    selfie: bytes,
) -> dict[str, Any]:
    files: dict[str, Any] = {
        "meta": ("meta.json", msgspec.json.encode(body), "application/json"),
        "selfie": ("selfie.jpg", selfie, "image/jpeg"),
    }
    if block is not None:
        files["chain"] = chain_part(block)
    response = await client.post("/api/v1/checkins", files=files, headers=headers)
    assert response.status_code in (200, 201), response.text
    return response.json()


def signed_checkin(signer: DeviceSigner, **overrides: Any) -> tuple[dict, dict, bytes]:
    """A check-in as the PWA queues it: meta without sent_at is signed, sent_at added at send."""
    body = meta(**overrides)
    selfie = jpeg(colour=(120 + signer.seq, 100, 90))
    block = signer.block(
        "checkin", {k: v for k, v in body.items() if k != "sent_at"}, {"selfie": selfie}
    )
    return body, block, selfie


def chain_reasons(stored: dict[str, Any]) -> list[str]:
    return [r["code"] for r in stored["reasons"] if r["code"] in CHAIN_CODES]


async def test_a_good_chain_is_accepted_and_each_break_is_flagged_with_its_reason(client, teacher):
    signer = DeviceSigner()
    first = await register(client, teacher, signer)
    assert first.status_code == 201, first.text
    device = first.json()
    assert device["fingerprint"] == signer.fingerprint
    again = await register(client, teacher, signer)
    assert again.status_code == 200 and again.json()["id"] == device["id"]

    # A good chain: three records, each in its place.
    for seq in (1, 2, 3):
        body, block, selfie = signed_checkin(signer)
        stored = await send(client, teacher, body, block, selfie)
        assert chain_reasons(stored) == [], stored["reasons"]
        assert (stored["device_id"], stored["device_seq"]) == (device["id"], seq)
        # A replay of the same record (a lost answer) is the same answer, not a break.
        if seq == 2:
            replay = await send(
                client, teacher, {**body, "sent_at": body["sent_at"]}, block, selfie
            )
            assert replay["id"] == stored["id"] and chain_reasons(replay) == []

    # Edited: the record's place was changed after it was signed.
    body, block, selfie = signed_checkin(signer)
    moved = {**body, "lat": body["lat"] + 0.001}
    stored = await send(client, teacher, moved, block, selfie)
    assert chain_reasons(stored) == ["signature_invalid"]
    assert "diubah setelah dibuat" in stored["reasons"][-1]["message"]
    assert stored["device_id"] == device["id"]  # stored, flagged, still in its chain

    # Forged: signed by a key that is not the device's.
    body = meta()
    selfie = jpeg(colour=(10, 20, 30))
    forged = signer.block(
        "checkin",
        {k: v for k, v in body.items() if k != "sent_at"},
        {"selfie": selfie},
        seq=signer.seq + 1,
        key=ec.generate_private_key(ec.SECP256R1()),
    )
    stored = await send(client, teacher, body, forged, selfie)
    assert chain_reasons(stored) == ["signature_invalid"]
    assert "Tanda tangan tidak sah" in stored["reasons"][-1]["message"]

    # The forgery took no place: the device's own next record still follows on.
    body, block, selfie = signed_checkin(signer)
    stored = await send(client, teacher, body, block, selfie)
    assert chain_reasons(stored) == [] and stored["device_seq"] == 5

    # Removed: number 6 never reaches the server; number 7 shows the hole.
    signed_checkin(signer)
    body, block, selfie = signed_checkin(signer)
    stored = await send(client, teacher, body, block, selfie)
    assert chain_reasons(stored) == ["chain_broken"]
    assert "nomor 6 " in stored["reasons"][-1]["message"]

    # Reordered: 9 is sent before 8; 8 then arrives after a later record.
    eight = signed_checkin(signer)
    nine = signed_checkin(signer)
    stored = await send(client, teacher, *nine)
    assert chain_reasons(stored) == ["chain_broken"]
    stored = await send(client, teacher, *eight)
    assert chain_reasons(stored) == ["chain_broken"]
    assert "tiba setelah catatan nomor 9" in stored["reasons"][-1]["message"]

    # Unregistered: a key the server never saw.
    stranger = DeviceSigner()
    body, block, selfie = signed_checkin(stranger)
    stored = await send(client, teacher, body, block, selfie)
    assert chain_reasons(stored) == ["device_unregistered"]
    assert stored["device_id"] is None

    # Unsigned (an old app version, a script): accepted as before, no reason, no device.
    stored = await send(client, teacher, meta(), None, jpeg(colour=(1, 2, 3)))
    assert chain_reasons(stored) == [] and stored["device_id"] is None

    # BKD sees the device and how many of its links were wrong.
    bkd = await login(client, by_role("bkd").nip)
    listed = await client.get(f"/api/v1/admin/employees/{TEACHER.nip}/devices", headers=bkd)
    assert listed.status_code == 200, listed.text
    [seen] = listed.json()["items"]
    assert seen["id"] == device["id"] and seen["last_seq"] == 9
    assert seen["broken"] == 4  # the forgery, the holes before 7 and 9, the late 8
    mine = await client.get("/api/v1/devices", headers=teacher)
    assert [d["id"] for d in mine.json()["items"]] == [device["id"]]


async def test_a_record_refused_for_validation_keeps_its_place_in_the_chain(client, teacher):
    signer = DeviceSigner()
    assert (await register(client, teacher, signer)).status_code == 201
    # Number 1 is refused (a location without its accuracy): its link is still logged.
    body, block, selfie = signed_checkin(signer, accuracy_m=None)
    files = {
        "meta": ("meta.json", msgspec.json.encode(body), "application/json"),
        "selfie": ("selfie.jpg", selfie, "image/jpeg"),
        "chain": chain_part(block),
    }
    refused = await client.post("/api/v1/checkins", files=files, headers=teacher)
    assert refused.status_code == 422, refused.text
    again = await client.post("/api/v1/checkins", files=files, headers=teacher)
    assert again.status_code == 422  # "Coba lagi": the same link, no second judgement
    assert await ChainLink.count() == 1
    body, block, selfie = signed_checkin(signer)
    stored = await send(client, teacher, body, block, selfie)
    assert chain_reasons(stored) == [] and stored["device_seq"] == 2


async def test_a_key_belongs_to_one_employee_and_must_be_p256(client, teacher):
    signer = DeviceSigner()
    assert (await register(client, teacher, signer)).status_code == 201
    other = await login(client, by_role("kepala_unit", unit_code=TEACHER.unit_code).nip)
    taken = await register(client, other, signer)
    assert taken.status_code == 409 and "pegawai lain" in taken.json()["detail"]
    # Another's registered key signing a record for this employee is not theirs.
    body, block, selfie = signed_checkin(signer)
    stored = await send(client, other, body, block, selfie)
    assert chain_reasons(stored) == ["device_unregistered"]
    bad = await client.post("/api/v1/devices", json={"public_key": "A" * 60}, headers=teacher)
    assert bad.status_code == 422


def permit_body(days: int) -> dict[str, Any]:
    start = dt.date.today() + dt.timedelta(days=days)
    while start.isoweekday() > 5:
        start += dt.timedelta(days=1)
    return {
        "client_id": str(uuid.uuid4()),
        "kind": "izin",
        "start_date": start.isoformat(),
        "end_date": start.isoformat(),
        "reason": "Mengurus akta kelahiran anak",
    }


async def test_a_permit_is_signed_too_and_the_approver_reads_what_is_wrong(client, teacher):
    signer = DeviceSigner()
    assert (await register(client, teacher, signer)).status_code == 201
    letter = jpeg(40, 40)

    async def post(values: dict[str, Any], block: dict[str, Any]) -> dict[str, Any]:
        files = {
            "meta": ("meta.json", msgspec.json.encode(values), "application/json"),
            "attachment": ("surat.jpg", letter, "image/jpeg"),
            "chain": chain_part(block),
        }
        response = await client.post("/api/v1/permits", files=files, headers=teacher)
        assert response.status_code == 201, response.text
        return response.json()

    good = permit_body(30)
    stored = await post(good, signer.block("permit", good, {"attachment": letter}))
    assert stored["device_note"] == ""
    edited = permit_body(40)
    block = signer.block("permit", edited, {"attachment": letter})
    edited["reason"] = "Alasan lain yang ditulis kemudian"
    stored = await post(edited, block)
    assert "diubah setelah dibuat" in stored["device_note"]
    head = await login(client, by_role("kepala_unit", unit_code=TEACHER.unit_code).nip)
    seen = await client.get(f"/api/v1/permits/{stored['id']}", headers=head)
    assert "diubah setelah dibuat" in seen.json()["device_note"]


async def test_every_file_part_is_signed_frames_too(client, teacher):
    """A liveness frame (any part beside meta and chain) is signed like the selfie."""
    signer = DeviceSigner()
    assert (await register(client, teacher, signer)).status_code == 201

    async def post(frame_sent: bytes) -> list[str]:
        body = meta(
            liveness={"challenge": ["left", "up"], "frames": [{"part": "frame0", "step": "front"}]}
        )
        selfie, frame = jpeg(colour=(5, 6, signer.seq)), jpeg(32, 32)
        unsent = {k: v for k, v in body.items() if k != "sent_at"}
        block = signer.block("checkin", unsent, {"selfie": selfie, "frame0": frame})
        files = {
            "meta": ("meta.json", msgspec.json.encode(body), "application/json"),
            "selfie": ("selfie.jpg", selfie, "image/jpeg"),
            "frame0": ("frame0.jpg", frame_sent, "image/jpeg"),
            "chain": chain_part(block),
        }
        response = await client.post("/api/v1/checkins", files=files, headers=teacher)
        assert response.status_code == 201, response.text
        return chain_reasons(response.json())

    assert await post(jpeg(32, 32)) == []
    assert await post(jpeg(32, 32, colour=(0, 0, 0))) == ["signature_invalid"]
