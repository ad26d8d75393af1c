"""Permits: requested by an ASN, routed to the head of their unit, decided once."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import httpx
import msgspec

from backend.org import demo_data
from tests.support.factories import TEACHER, by_role, jpeg, login, meta

PRINCIPAL = by_role("kepala_unit", unit_code=TEACHER.unit_code)


def next_weekday(weekday: int, after: dt.date | None = None) -> dt.date:
    """The next date with this ISO weekday (1 = Monday) that is not a demo holiday."""
    day = (after or dt.date.today()) + dt.timedelta(days=1)
    holidays = {h.date for h in demo_data.HOLIDAYS}
    while day.isoweekday() != weekday or day in holidays:
        day += dt.timedelta(days=1)
    return day


def body(**overrides: Any) -> dict[str, Any]:
    monday = next_weekday(1)
    values: dict[str, Any] = {
        "client_id": str(uuid.uuid4()),
        "kind": "sakit",
        "start_date": monday.isoformat(),
        "end_date": (monday + dt.timedelta(days=1)).isoformat(),
        "reason": "Demam tinggi, surat dokter menyusul",
    }
    values.update(overrides)
    return values


async def request(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    values: dict[str, Any],
    attachment: bytes | None = None,
):
    files: dict[str, Any] = {"meta": ("meta.json", msgspec.json.encode(values), "application/json")}
    if attachment is not None:
        files["attachment"] = ("surat.jpg", attachment, "image/jpeg")
    return await client.post("/api/v1/permits", files=files, headers=headers)


async def test_a_permit_goes_to_the_principal_who_approves_it_once(client, teacher, clean):
    created = await request(client, teacher, body(), attachment=jpeg(200, 300))
    assert created.status_code == 201, created.text
    permit = created.json()
    assert permit["status"] == "pending"
    assert permit["working_days"] == 2
    assert permit["approver"]["nip"] == PRINCIPAL.nip
    assert permit["has_attachment"] is True

    principal = await login(client, PRINCIPAL.nip)
    inbox = (await client.get("/api/v1/permits/inbox", headers=principal)).json()["items"]
    assert [p["id"] for p in inbox] == [permit["id"]]
    url = (
        await client.get(f"/api/v1/permits/{permit['id']}/attachment", headers=principal)
    ).json()["url"]
    assert (await client.get(url)).content.startswith(b"\xff\xd8")

    decided = await client.post(
        f"/api/v1/permits/{permit['id']}/decision",
        json={"decision": "approve", "note": "Semoga lekas sembuh"},
        headers=principal,
    )
    assert decided.status_code == 200, decided.text
    assert decided.json()["status"] == "approved"
    assert decided.json()["decided_by"]["nip"] == PRINCIPAL.nip
    again = await client.post(
        f"/api/v1/permits/{permit['id']}/decision", json={"decision": "reject"}, headers=principal
    )
    assert again.status_code == 409
    assert "sudah disetujui" in again.json()["detail"]
    mine = (await client.get("/api/v1/permits", headers=teacher)).json()["items"]
    assert mine[0]["status"] == "approved"


async def test_the_outbox_may_send_a_permit_twice(client, teacher, clean):
    values = body()
    assert (await request(client, teacher, values)).status_code == 201
    assert (await request(client, teacher, values)).status_code == 200
    changed = await request(client, teacher, dict(values, reason="Alasan yang lain sama sekali"))
    assert changed.status_code == 409


async def test_overlaps_holidays_and_bad_ranges_say_why(client, teacher, clean):
    first = body()
    assert (await request(client, teacher, first)).status_code == 201
    overlap = await request(
        client, teacher, body(kind="izin", start_date=first["end_date"], end_date=first["end_date"])
    )
    assert overlap.status_code == 409
    assert "Bertumpuk dengan sakit" in overlap.json()["detail"]
    assert "menunggu keputusan" in overlap.json()["detail"]

    sunday = next_weekday(7)
    only_sunday = await request(
        client, teacher, body(start_date=sunday.isoformat(), end_date=sunday.isoformat())
    )
    assert only_sunday.status_code == 422
    assert "hari libur" in only_sunday.json()["detail"]
    holiday = next(
        h.date
        for h in demo_data.HOLIDAYS
        if h.date.isoweekday() < 6 and h.date > dt.date(2026, 1, 1)
    )
    permit = await request(
        client,
        teacher,
        body(
            kind="cuti_tahunan",
            start_date=(holiday - dt.timedelta(days=1)).isoformat(),
            end_date=(holiday + dt.timedelta(days=1)).isoformat(),
        ),
    )
    if holiday - dt.timedelta(days=1) >= dt.date.today() - dt.timedelta(days=31):
        assert permit.status_code == 201, permit.text
        assert permit.json()["working_days"] < 3  # the holiday is not a day of leave

    backwards = await request(client, teacher, body(start_date="2026-12-10", end_date="2026-12-01"))
    assert backwards.status_code == 422 and "sebelum tanggal mulai" in backwards.json()["detail"]
    unknown = await request(client, teacher, body(kind="liburan"))
    assert unknown.status_code == 422 and "meta.kind" in unknown.json()["detail"]
    short = await request(client, teacher, body(reason="ok"))
    assert short.status_code == 422 and "meta.reason" in short.json()["detail"]
    pdf_only = await request(client, teacher, body(), attachment=b"GIF89a....")
    assert pdf_only.status_code == 422 and "JPEG/PNG" in pdf_only.json()["detail"]


async def test_heads_decide_only_for_their_own_units(client, teacher, clean):
    permit = (await request(client, teacher, body())).json()
    other_head = await login(client, by_role("kepala_unit", unit_code="DISDUKCAPIL").nip)
    refused = await client.post(
        f"/api/v1/permits/{permit['id']}/decision", json={"decision": "approve"}, headers=other_head
    )
    assert refused.status_code == 403
    assert "bukan atasan" in refused.json()["detail"]
    assert (await client.get("/api/v1/permits/inbox", headers=other_head)).json()["items"] == []
    assert (
        await client.get(f"/api/v1/permits/{permit['id']}", headers=other_head)
    ).status_code == 404
    # The head of the school's parent unit (Dinas Pendidikan) may decide too.
    disdik = await login(client, by_role("kepala_unit", unit_code="DISDIK").nip)
    rejected = await client.post(
        f"/api/v1/permits/{permit['id']}/decision",
        json={"decision": "reject", "note": "Lengkapi surat"},
        headers=disdik,
    )
    assert rejected.status_code == 200 and rejected.json()["status"] == "rejected"
    assert (
        await client.post(
            f"/api/v1/permits/{permit['id']}/decision",
            json={"decision": "approve"},
            headers=teacher,
        )
    ).status_code == 403


async def test_a_principal_s_own_permit_goes_up_a_level(client, clean):
    principal = await login(client, PRINCIPAL.nip)
    permit = (await request(client, principal, body(kind="cuti_tahunan"))).json()
    assert permit["approver"]["nip"] == by_role("kepala_unit", unit_code="DISDIK").nip
    refused = await client.post(
        f"/api/v1/permits/{permit['id']}/decision", json={"decision": "approve"}, headers=principal
    )
    assert refused.status_code == 403


async def test_a_pending_permit_can_be_cancelled_by_its_owner(client, teacher, clean):
    permit = (await request(client, teacher, body())).json()
    cancelled = await client.post(f"/api/v1/permits/{permit['id']}/cancel", headers=teacher)
    assert cancelled.json()["status"] == "cancelled"
    assert (
        await client.post(f"/api/v1/permits/{permit['id']}/cancel", headers=teacher)
    ).status_code == 409
    # A cancelled permit no longer blocks the dates.
    assert (await request(client, teacher, body())).status_code == 201


async def test_check_ins_at_an_approved_dinas_luar_destination_count_as_inside(
    client, teacher, clean
):
    from backend.org.tables import Employee
    from backend.permits.tables import Permit

    bkd_office = next(loc for loc in demo_data.LOCATIONS if loc.unit_code == "BKD")
    inner_lon, inner_lat = _centroid(bkd_office.geometry["coordinates"][0])
    bkd_head = await login(client, by_role("kepala_unit", unit_code="BKD").nip)
    destination = (await client.get("/api/v1/me", headers=bkd_head)).json()["locations"][0]["id"]
    before = (
        await client.post(
            "/api/v1/checkins", files=_files(meta(lat=inner_lat, lon=inner_lon)), headers=teacher
        )
    ).json()
    assert before["status"] == "rejected"  # the BKD office is not the teacher's place

    # Today may be a Sunday, which the request rules refuse: write the approved permit directly.
    today = dt.datetime.now(dt.timezone(dt.timedelta(hours=7))).date()
    [row] = await Employee.select(Employee.id).where(Employee.nip == TEACHER.nip)
    await Permit.insert(
        Permit(
            client_id=uuid.uuid4(),
            employee=row["id"],
            kind="dinas_luar",
            start_date=today,
            end_date=today,
            reason="Rapat koordinasi di BKD",
            destination=destination,
            status="approved",
            created_at=dt.datetime.now(dt.UTC),
        )
    )
    after = (
        await client.post(
            "/api/v1/checkins", files=_files(meta(lat=inner_lat, lon=inner_lon)), headers=teacher
        )
    ).json()
    assert after["geofence"]["decision"] == "inside", after
    assert after["geofence"]["location_name"] == bkd_office.name
    assert after["status"] == "pending"


def _centroid(ring: list[list[float]]) -> tuple[float, float]:
    points = ring[:-1]
    return sum(p[0] for p in points) / len(points), sum(p[1] for p in points) / len(points)


def _files(values: dict[str, Any]) -> dict[str, Any]:
    from tests.support.factories import checkin_files

    return checkin_files(values)
