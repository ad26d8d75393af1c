"""Attestation through the real API and worker: a head of unit attests two staff's day with no
signal; the days are recomputed as attested present, the recap file says so, the board's
aggregates count it, and BKD sees how often the head attests."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from backend.attendance.tables import DayRecord
from backend.attestations.tables import Attestation
from backend.board.tables import BoardCount
from backend.org import demo_data
from backend.org.tables import Employee, Unit
from tests.support.devicekeys import DeviceSigner
from tests.support.factories import TEACHER, by_role, login
from tests.support.jobs import drain

WIB = ZoneInfo("Asia/Jakarta")
HEAD = by_role("kepala_unit", unit_code=TEACHER.unit_code)
COLLEAGUE = next(
    e
    for e in demo_data.EMPLOYEES
    if e.unit_code == TEACHER.unit_code and e.nip not in (TEACHER.nip, HEAD.nip)
)
OTHER_UNIT_TEACHER = next(e for e in demo_data.EMPLOYEES if e.unit_code == "SMPN-TODANAN-1")
BKD = next(e for e in demo_data.EMPLOYEES if e.roles == ("asn", "bkd"))
REASON = "Tidak ada sinyal di sekolah, ponsel guru rusak"


def last_school_day() -> dt.date:
    """The latest day before today (WIB) on the six-day school week that is not a holiday."""
    day = dt.datetime.now(WIB).date() - dt.timedelta(days=1)
    holidays = {h.date for h in demo_data.HOLIDAYS}
    while day.isoweekday() == 7 or day in holidays:
        day -= dt.timedelta(days=1)
    return day


def body(nip: str, day: dt.date, **overrides: Any) -> dict[str, Any]:
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    values: dict[str, Any] = {
        "client_id": str(uuid.uuid4()),
        "nip": nip,
        "start_date": day.isoformat(),
        "end_date": day.isoformat(),
        "reason": REASON,
        "captured_at": (now - dt.timedelta(minutes=30)).isoformat(),
        "sent_at": now.isoformat(),
    }
    values.update(overrides)
    return values


@pytest.fixture
async def registered_earlier(clean):
    """The demo staff were registered when the test database was seeded (today); days before
    that are not judged. Move the school's registration back three weeks."""
    rows = await Employee.select(Employee.id, Employee.created_at)
    earlier = dt.datetime.now(dt.UTC) - dt.timedelta(days=21)
    await Employee.update({Employee.created_at: earlier}, force=True)
    yield clean
    for row in rows:
        await Employee.update({Employee.created_at: row["created_at"]}).where(
            Employee.id == row["id"]
        )


async def test_attested_days_count_present_in_the_recap_the_board_and_bkd_summary(
    client, registered_earlier
):
    settings = registered_earlier
    head = await login(client, HEAD.nip)
    day = last_school_day()
    first = body(TEACHER.nip, day)
    created = await client.post("/api/v1/attestations", json=first, headers=head)
    assert created.status_code == 201, created.text
    made = created.json()
    assert made["employee"]["nip"] == TEACHER.nip and made["attester"]["nip"] == HEAD.nip
    assert made["days"] == 1 and made["signature_status"] == "unsigned"
    # The outbox sends it again (a dropped answer): the same record, not a second one.
    again = await client.post("/api/v1/attestations", json=first, headers=head)
    assert again.status_code == 200 and again.json()["id"] == made["id"]
    changed = await client.post(
        "/api/v1/attestations", json=dict(first, reason="Alasan lain sama sekali"), headers=head
    )
    assert changed.status_code == 409 and "client_id" in changed.json()["detail"]
    chain = {"device_id": 7, "seq": 3, "prev": "00" * 32, "signature": "c2lnbmF0dXJl"}
    second = await client.post(
        "/api/v1/attestations", json=body(COLLEAGUE.nip, day, chain=chain), headers=head
    )
    assert second.status_code == 201, second.text
    assert await Attestation.count() == 2
    stored = await Attestation.select(Attestation.chain).where(
        Attestation.client_id == uuid.UUID(second.json()["client_id"])
    )
    assert stored[0]["chain"] and "c2lnbmF0dXJl" in str(stored[0]["chain"])

    await drain(settings)

    ids = {
        row["nip"]: row["id"]
        for row in await Employee.select(Employee.id, Employee.nip).where(
            Employee.nip.is_in([TEACHER.nip, COLLEAGUE.nip])
        )
    }
    days = await DayRecord.select().where(
        DayRecord.employee.is_in(list(ids.values())) & (DayRecord.day == day)
    )
    assert [(d["status"], d["attested"], d["deduction_pct"]) for d in days] == [
        ("present", True, 0.0)
    ] * 2
    # The teacher sees her own day as attested present, with the head's reason.
    teacher = await login(client, TEACHER.nip)
    mine = await client.get(
        "/api/v1/days", params={"start": day.isoformat(), "end": day.isoformat()}, headers=teacher
    )
    [seen] = mine.json()["days"] if isinstance(mine.json(), dict) else mine.json()
    assert seen["status"] == "present" and seen["attested"] is True
    assert REASON in seen["reasons"][0]

    # The recap file shows the attested day in its own column (and among Hadir).
    recap = await client.get(
        "/api/v1/recap",
        params={"unit": TEACHER.unit_code, "month": day.strftime("%Y-%m"), "format": "csv"},
        headers=head,
    )
    assert recap.status_code == 200, recap.text
    table = list(csv.reader(io.StringIO(recap.content.decode("utf-8-sig"))))
    column = table[0].index("Hadir (atestasi)")
    rows = {row[0]: row for row in table[1:]}
    assert rows[TEACHER.nip][column] == "1" and rows[COLLEAGUE.nip][column] == "1"
    assert int(rows[TEACHER.nip][table[0].index("Hadir")]) >= 1
    assert rows[HEAD.nip][column] == "0"

    # The board's aggregates count them: present, and apart as attested.
    [unit] = await Unit.select(Unit.id).where(Unit.code == TEACHER.unit_code)
    counted = {
        row["key"]: row["n"]
        for row in await BoardCount.select().where(
            (BoardCount.unit == unit["id"]) & (BoardCount.day == day)
        )
    }
    assert counted["attested"] == 2 and counted["present"] >= 2

    # BKD sees how often the head attests, beside the staff of the school, and the reasons.
    bkd = await login(client, BKD.nip)
    summary = await client.get("/api/v1/attestations/summary", headers=bkd)
    assert summary.status_code == 200, summary.text
    [listed] = summary.json()["heads"]
    assert listed["head"]["nip"] == HEAD.nip and listed["unit"] == TEACHER.unit_code
    assert (listed["attestations"], listed["days"], listed["employees"]) == (2, 2, 2)
    staff = sum(1 for e in demo_data.EMPLOYEES if e.unit_code == TEACHER.unit_code)
    assert listed["staff"] == staff and listed["unsigned"] == 2
    assert [a["reason"] for a in summary.json()["latest"]] == [REASON, REASON]
    # The head's own list.
    listed_mine = await client.get("/api/v1/attestations", headers=head)
    assert len(listed_mine.json()["items"]) == 2


async def test_refusals_in_words(client, registered_earlier):
    head = await login(client, HEAD.nip)
    day = last_school_day()
    other = await client.post(
        "/api/v1/attestations", json=body(OTHER_UNIT_TEACHER.nip, day), headers=head
    )
    assert other.status_code == 403 and "unit Anda" in other.json()["detail"]
    own = await client.post("/api/v1/attestations", json=body(HEAD.nip, day), headers=head)
    assert own.status_code == 403 and "sendiri" in own.json()["detail"]
    tomorrow = dt.datetime.now(WIB).date() + dt.timedelta(days=1)
    future = await client.post(
        "/api/v1/attestations", json=body(TEACHER.nip, tomorrow), headers=head
    )
    assert future.status_code == 422 and "sudah lewat" in future.json()["detail"]
    far = day - dt.timedelta(days=30)
    too_far = await client.post("/api/v1/attestations", json=body(TEACHER.nip, far), headers=head)
    assert too_far.status_code == 422 and "ke belakang" in too_far.json()["detail"]
    short = await client.post(
        "/api/v1/attestations", json=body(TEACHER.nip, day, reason="rusak"), headers=head
    )
    assert short.status_code in (400, 422)
    teacher = await login(client, TEACHER.nip)
    asn = await client.post("/api/v1/attestations", json=body(COLLEAGUE.nip, day), headers=teacher)
    assert asn.status_code == 403
    assert (await client.get("/api/v1/attestations/summary", headers=head)).status_code == 403
    assert await Attestation.count() == 0


async def test_an_attestation_is_signed_like_any_offline_record(client, registered_earlier):
    """The head's device key signs the attestation as it signs every outbox record: a good one
    is `verified`; one edited after signing (another reason) is stored, never dropped, and
    marked `failed` with the chain's reason for BKD."""
    head = await login(client, HEAD.nip)
    signer = DeviceSigner()
    registered = await client.post(
        "/api/v1/devices", json={"public_key": signer.spki, "label": "Ponsel kepala"}, headers=head
    )
    assert registered.status_code == 201, registered.text
    day = last_school_day()

    good = body(TEACHER.nip, day)
    good["chain"] = signer.block("attestation", good, {})
    made = await client.post("/api/v1/attestations", json=good, headers=head)
    assert made.status_code == 201, made.text
    assert made.json()["signature_status"] == "verified"

    edited = body(COLLEAGUE.nip, day)
    edited["chain"] = signer.block("attestation", edited, {})
    edited["reason"] = "Alasan yang diubah setelah ditandatangani"
    flagged = await client.post("/api/v1/attestations", json=edited, headers=head)
    assert flagged.status_code == 201, flagged.text
    assert flagged.json()["signature_status"] == "failed"
    assert [r["code"] for r in flagged.json()["signature_reasons"]] == ["signature_invalid"]

    bkd = await login(client, BKD.nip)
    summary = (await client.get("/api/v1/attestations/summary", headers=bkd)).json()
    [mine] = [h for h in summary["heads"] if h["head"]["nip"] == HEAD.nip]
    assert mine["unsigned"] == 1  # the edited one: not verified
