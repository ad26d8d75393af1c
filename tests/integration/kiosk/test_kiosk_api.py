"""The face kiosk through the real API: an admin registers it, the tablet activates with the
one-time code and its own key, and signed captures of real faces identify the right employee
among several enrolled at the location; a stranger is refused with nothing recorded; unsigned,
badly signed, revoked and replayed requests are answered as they must be."""

from __future__ import annotations

import base64
import datetime as dt
import uuid
from random import Random
from typing import Any

import httpx
import msgspec
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from backend.attendance.tables import CheckIn, DayRecord
from backend.kiosk.service import activation_message, signed_message
from backend.kiosk.tables import Capture
from backend.org import demo_data
from backend.org.service import employee_id_by_nip
from tests.integration.cctv.test_evidence import school_location_code
from tests.support import liveness as sequences
from tests.support.cctv import location_id
from tests.support.factories import TEACHER, by_role, login
from tests.support.jobs import drain
from tests.support.photos import photo, selfie

COLLEAGUE = next(
    e
    for e in demo_data.EMPLOYEES
    if e.unit_code == TEACHER.unit_code and e.roles == ("asn",) and e.nip != TEACHER.nip
)


class Tablet:
    """A kiosk tablet: its device key (as WebCrypto makes it: P-256, raw r||s signatures)."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.spki = base64.b64encode(der).decode()
        self.kiosk_id = 0

    def sign(self, data: bytes) -> str:
        r, s = decode_dss_signature(self.key.sign(data, ec.ECDSA(hashes.SHA256())))
        return base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode()

    def capture(
        self,
        jpeg: bytes,
        *,
        frames: int = 2,
        client_id: uuid.UUID | None = None,
        turning: sequences.Sequence | None = None,
    ) -> dict[str, Any]:
        """The request a kiosk sends: parts and signed headers. `turning`: a head turning as
        its challenge asks (frontal photo and frames); else the still `jpeg` as every frame."""
        now = dt.datetime.now(dt.UTC)
        challenge = ["left", "up"]
        shots = [(step, jpeg) for step in challenge][:frames]
        if turning is not None:
            jpeg, challenge, shots = turning.selfie, turning.challenge, turning.frames
        meta = {
            "client_id": str(client_id or uuid.uuid4()),
            "captured_at": now.isoformat(),
            "sent_at": now.isoformat(),
            "liveness": {
                "challenge": challenge,
                "frames": [{"part": f"frame{i}", "step": s} for i, (s, _) in enumerate(shots)],
            },
        }
        parts = [("meta", msgspec.json.encode(meta)), ("photo", jpeg)]
        parts += [(f"frame{i}", data) for i, (_, data) in enumerate(shots)]
        return {
            "files": {
                name: (f"{name}.jpg", data, "application/json" if name == "meta" else "image/jpeg")
                for name, data in parts
            },
            "headers": {
                "X-Kiosk-Id": str(self.kiosk_id),
                "X-Kiosk-Signature": self.sign(signed_message(self.kiosk_id, parts)),
            },
        }


async def enrol(client: httpx.AsyncClient, bkd: dict[str, str], nip: str, *names: str) -> None:
    for name in names:
        answer = await client.post(
            f"/api/v1/faces/{nip}/references",
            files={"photo": (name, photo(name), "image/jpeg")},
            headers=bkd,
        )
        assert answer.status_code == 201, answer.text


async def registered(client: httpx.AsyncClient) -> tuple[Tablet, dict[str, str]]:
    admin = await login(client, by_role("admin").nip)
    created = await client.post(
        "/api/v1/kiosks",
        json={
            "name": "Kiosk pintu utama",
            "location_id": await location_id(school_location_code()),
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["kiosk"]["state"] == "waiting"
    tablet = Tablet()
    code = body["activation_code"]
    activated = await client.post(
        "/api/v1/kiosk/activate",
        json={
            "code": code.lower(),
            "public_key": tablet.spki,
            "signature": tablet.sign(activation_message(code.lower())),
        },
    )
    assert activated.status_code == 200, activated.text
    tablet.kiosk_id = activated.json()["kiosk_id"]
    # The code is spent.
    again = await client.post(
        "/api/v1/kiosk/activate",
        json={
            "code": code,
            "public_key": tablet.spki,
            "signature": tablet.sign(activation_message(code)),
        },
    )
    assert again.status_code == 401, again.text
    return tablet, admin


async def test_the_kiosk_names_the_right_employee_and_refuses_a_stranger(client, clean):
    bkd = await login(client, by_role("bkd").nip)
    await enrol(client, bkd, TEACHER.nip, "obama2.jpg", "obama3.jpg")
    await enrol(client, bkd, COLLEAGUE.nip, "biden.jpg")
    tablet, admin = await registered(client)

    listed = (await client.get("/api/v1/kiosks", headers=admin)).json()["items"]
    assert [(k["name"], k["state"]) for k in listed] == [("Kiosk pintu utama", "active")]

    # obama turning as the kiosk asks (frames synthesised from his photo: tests/support/liveness)
    request = tablet.capture(
        selfie("obama.jpg"), turning=sequences.genuine("obama.jpg", ["left", "up"], Random(5))
    )
    first = await client.post("/api/v1/kiosk/captures", **request)
    assert first.status_code == 201, first.text
    result = first.json()
    assert result["outcome"] == "recorded", result
    assert result["name"] == TEACHER.name and result["kind"] == "in"
    assert result["message"].startswith("Selamat ") and TEACHER.name in result["message"]
    assert "Presensi masuk tercatat" in result["message"]

    row = (
        await CheckIn.select()
        .where(CheckIn.id == result["checkin_id"])
        .first()
        .output(load_json=True)
    )
    assert row["employee"] == await employee_id_by_nip(TEACHER.nip)
    assert row["source"] == "kiosk" and row["kiosk_id"] == tablet.kiosk_id
    assert row["location"] == await location_id(school_location_code())
    assert row["lat"] is None and row["status"] == "accepted"
    codes = [r["code"] for r in row["reasons"]]
    assert codes == ["kiosk_identified", "liveness_passed"], row["reasons"]

    # The same request again (a retry, or a replay by someone who captured it): the same
    # answer, nothing new.
    replay = await client.post("/api/v1/kiosk/captures", **request)
    assert replay.status_code == 200, replay.text
    assert replay.json() == result
    assert await CheckIn.count().where(CheckIn.source == "kiosk") == 1

    biden_turning = sequences.genuine("biden.jpg", ["right", "up"], Random(2))
    biden = await client.post(
        "/api/v1/kiosk/captures", **tablet.capture(selfie("biden.jpg"), turning=biden_turning)
    )
    assert biden.status_code == 201, biden.text
    assert biden.json()["name"] == COLLEAGUE.name and biden.json()["outcome"] == "recorded"

    stranger = tablet.capture(selfie("grace_hopper.jpg"))
    refused = await client.post("/api/v1/kiosk/captures", **stranger)
    assert refused.status_code == 201, refused.text
    assert refused.json()["outcome"] == "unknown" and refused.json()["name"] is None
    assert "silakan presensi dari ponsel Anda" in refused.json()["message"]
    assert await CheckIn.count().where(CheckIn.source == "kiosk") == 2
    stored = await Capture.select().where(Capture.outcome == "unknown").first()
    assert stored["employee_id"] is None and stored["distance"] is None

    # The follow-up of a settled check-in: the day status is recomputed.
    await drain(clean)
    assert await DayRecord.exists().where(
        (DayRecord.employee == row["employee"]) & (DayRecord.day == row["work_date"])
    )


async def test_without_challenge_frames_the_capture_is_recorded_for_bkd_to_check(client, clean):
    bkd = await login(client, by_role("bkd").nip)
    await enrol(client, bkd, TEACHER.nip, "obama2.jpg")
    await enrol(client, bkd, COLLEAGUE.nip, "biden.jpg")
    tablet, _ = await registered(client)
    answer = await client.post(
        "/api/v1/kiosk/captures", **tablet.capture(selfie("obama.jpg"), frames=0)
    )
    assert answer.status_code == 201, answer.text
    result = answer.json()
    assert result["outcome"] == "flagged" and result["status"] == "flagged"
    assert "diperiksa BKD" in result["message"] and TEACHER.name in result["message"]
    row = (
        await CheckIn.select()
        .where(CheckIn.id == result["checkin_id"])
        .first()
        .output(load_json=True)
    )
    assert "liveness_failed" in [r["code"] for r in row["reasons"]]


async def test_unsigned_badly_signed_unknown_and_revoked_kiosks_are_refused(client, clean):
    tablet, admin = await registered(client)
    request = tablet.capture(selfie("obama.jpg"))

    unsigned = await client.post("/api/v1/kiosk/captures", files=request["files"])
    assert unsigned.status_code == 401 and "ditandatangani" in unsigned.json()["detail"]

    forged = {**request["headers"], "X-Kiosk-Signature": Tablet().sign(b"something else")}
    bad = await client.post("/api/v1/kiosk/captures", files=request["files"], headers=forged)
    assert bad.status_code == 401 and "tidak sah" in bad.json()["detail"]

    # A signed request whose photo was swapped on the way.
    swapped = dict(request["files"])
    swapped["photo"] = ("photo.jpg", selfie("biden.jpg"), "image/jpeg")
    tampered = await client.post(
        "/api/v1/kiosk/captures", files=swapped, headers=request["headers"]
    )
    assert tampered.status_code == 401

    stranger = {**request["headers"], "X-Kiosk-Id": "999999"}
    unknown = await client.post("/api/v1/kiosk/captures", files=request["files"], headers=stranger)
    assert unknown.status_code == 401

    revoked = await client.post(f"/api/v1/kiosks/{tablet.kiosk_id}/revoke", headers=admin)
    assert revoked.status_code == 200 and revoked.json()["state"] == "revoked"
    after = await client.post("/api/v1/kiosk/captures", **request)
    assert after.status_code == 403 and "dicabut" in after.json()["detail"]
    assert await CheckIn.count().where(CheckIn.source == "kiosk") == 0

    # An ASN cannot register kiosks.
    asn = await login(client, TEACHER.nip)
    denied = await client.post("/api/v1/kiosks", json={"name": "x", "location_id": 1}, headers=asn)
    assert denied.status_code == 403
