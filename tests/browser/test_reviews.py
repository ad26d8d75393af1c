"""BKD's review desk in the browser: a flagged check-in beside the reference photo, decided
with the keyboard, the next one shown at once; at a desk (1366 px) the queue beside the case
with the CCTV snapshots, the backlog of other days paged, and the note never taking a
shortcut's letter."""

from __future__ import annotations

import datetime as dt
import json
import uuid

import asyncpg
import httpx
from playwright.async_api import Browser, Page, expect

from backend.org import demo_data
from tests.browser.conftest import (
    BKD,
    FACE,
    assert_no_errors,
    bearer,
    context_options,
    enrol_face,
    eventually,
    log_in,
    screenshot,
    stored_checkins,
    watch_errors,
)
from tests.support import photos
from tests.support.factories import TEACHER, by_role, checkin_files, meta

expect.set_options(timeout=10_000)


async def flagged_checkin(base_url: str, headers: dict[str, str]) -> dict:
    """A check-in without a GPS fix: the face matches, but BKD must look at it."""
    body = meta(lat=None, lon=None, accuracy_m=None)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.post(
            "/api/v1/checkins",
            files=checkin_files(body, photos.selfie(FACE)),
            headers=headers,
        )
        assert response.status_code == 201, response.text
        checkin_id = response.json()["id"]

        async def settled():
            answer = (await client.get(f"/api/v1/checkins/{checkin_id}", headers=headers)).json()
            return answer if answer["status"] != "pending" else None

        answer = await eventually(settled, within=60)
    assert answer["status"] == "flagged", answer
    return answer


async def test_bkd_decides_flagged_checkins_with_the_keyboard(
    browser: Browser, base_url: str, database_url: str, clean
):
    await enrol_face(base_url, TEACHER.nip, photos.photo(FACE))
    teacher = await bearer(base_url, TEACHER.nip)
    first = await flagged_checkin(base_url, teacher)
    second = await flagged_checkin(base_url, teacher)

    context = await browser.new_context(**context_options(base_url))
    try:
        page = await context.new_page()
        watch_errors(page)
        await page.goto("/")
        await log_in(page, BKD.nip)
        await page.get_by_role("link", name="Verifikasi").click()
        review = page.locator("#review")
        await expect(review).to_contain_text(TEACHER.name)
        await expect(review).to_contain_text("Lokasi GPS tidak tersedia")
        await expect(review).to_contain_text("Wajah cocok dengan foto referensi")
        for name in ("Selfie", "Foto referensi"):
            image = review.get_by_role("img", name=name)
            await expect(image).to_have_js_property("complete", True)
            assert await image.evaluate("(img) => img.naturalWidth") > 0, name
        await screenshot(page, "11-review")

        # A accepts; the second record is on screen at once.
        await page.keyboard.press("a")
        await expect(page.get_by_text("1 presensi menunggu keputusan")).to_be_visible()
        # R wants a note first; N goes to it.
        await page.keyboard.press("r")
        await expect(page.locator("#review-note-hint")).to_contain_text("Tulis alasan penolakan")
        await page.locator("#review-accept").focus()
        await page.keyboard.press("n")
        await expect(page.locator("#review-note")).to_be_focused()
        await page.keyboard.type("Latar foto bukan di sekolah")
        await page.locator("#review-reject").click()
        await expect(page.get_by_text("Tidak ada yang perlu diperiksa")).to_be_visible()

        async def decided():
            rows = await stored_checkins(database_url, [first["client_id"], second["client_id"]])
            statuses = {row["client_id"]: row["status"] for row in rows}
            return statuses if "flagged" not in statuses.values() else None

        statuses = await eventually(decided)
        assert statuses == {first["client_id"]: "accepted", second["client_id"]: "rejected"}
        (rejected,) = await stored_checkins(database_url, [second["client_id"]])
        assert "Latar foto bukan di sekolah" in rejected["reasons"][-1]["message"]
        assert_no_errors(page)
    finally:
        await context.close()


DESK = {"width": 1366, "height": 768}
BACKLOG = 22  # older records of other schools, synced late: past the desk's first page of 20
SCHOOL_LOCATION = next(
    loc.code for loc in demo_data.LOCATIONS if loc.unit_code == TEACHER.unit_code
)


async def backlog(database_url: str, count: int) -> list[int]:
    """Flagged records of other days of a colleague at another school, as a phone that was
    offline for days delivers them: captured days ago, received after the case under review."""
    colleague = next(e for e in demo_data.EMPLOYEES if e.unit_code == "SMPN-TODANAN-1")
    reasons = json.dumps([{"code": "late_sync", "message": "Dikirim 3 hari setelah dibuat"}])
    now = dt.datetime.now(dt.UTC)
    conn = await asyncpg.connect(database_url)
    try:
        employee = await conn.fetchval("SELECT id FROM org_employee WHERE nip = $1", colleague.nip)
        ids = []
        for n in range(count):
            captured = now - dt.timedelta(days=3, minutes=count - n)
            received = now + dt.timedelta(seconds=1 + n)
            ids.append(
                await conn.fetchval(
                    "INSERT INTO attendance_checkin (client_id, employee, kind, captured_at,"
                    " sent_at, received_at, corrected_captured_at, work_date, status, reasons,"
                    " selfie_key, selfie_sha256, content_hash) VALUES ($1, $2, 'in', $3, $3,"
                    " $4, $3, $5, 'flagged', $6, '', '', $7) RETURNING id",
                    uuid.uuid4(),
                    employee,
                    captured,
                    received,
                    captured.date(),
                    reasons,
                    "0" * 64,
                )
            )
        return ids
    finally:
        await conn.close()


async def school_camera(base_url: str, database_url: str) -> None:
    """A camera at the school's gate that saw the teacher (another photo than the reference)."""
    conn = await asyncpg.connect(database_url)
    try:
        location = await conn.fetchval(
            "SELECT id FROM geofence_location WHERE code = $1", SCHOOL_LOCATION
        )
    finally:
        await conn.close()
    admin = await bearer(base_url, by_role("admin").nip)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        made = await client.post(
            "/api/v1/cctv/cameras",
            json={
                "code": "CAM-SD-GERBANG",
                "name": "Gerbang sekolah",
                "location_id": location,
                "mode": "push",
            },
            headers=admin,
        )
        assert made.status_code == 201, made.text
        pushed = await client.post(
            "/api/v1/cctv/snapshots",
            content=photos.photo("obama3.jpg"),
            headers={"Content-Type": "image/jpeg"},
            auth=("CAM-SD-GERBANG", made.json()["key"]),
        )
        assert pushed.status_code == 202, pushed.text


async def mismatched_checkin(base_url: str, headers: dict[str, str]) -> dict:
    """Inside the school's fence with a selfie that is not the enrolled face: for the desk,
    where the gate's camera is the evidence."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        response = await client.post(
            "/api/v1/checkins",
            files=checkin_files(meta(), photos.selfie("biden.jpg")),
            headers=headers,
        )
        assert response.status_code == 201, response.text
        checkin_id = response.json()["id"]

        async def settled():
            answer = (await client.get(f"/api/v1/checkins/{checkin_id}", headers=headers)).json()
            return answer if answer["status"] != "pending" else None

        answer = await eventually(settled, within=60)
    assert answer["status"] == "flagged", answer
    return answer


async def linked_evidence(base_url: str, checkin_id: int) -> list[dict]:
    headers = await bearer(base_url, BKD.nip)
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:

        async def linked():
            body = (await client.get("/api/v1/reviews", headers=headers)).json()
            item = next((i for i in body["items"] if i["checkin"]["id"] == checkin_id), None)
            return item["cctv"] if item and item["cctv"] else None

        return await eventually(linked, within=60)


async def beside(page: Page, left: str, right: str) -> bool:
    """Whether `left` stands wholly left of `right` with their heights overlapping."""
    a = await page.locator(left).bounding_box()
    b = await page.locator(right).bounding_box()
    assert a and b
    return (
        a["x"] + a["width"] <= b["x"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


async def test_the_desk_at_1366_px_queue_beside_the_case_with_cctv_keyboard_and_paging(
    browser: Browser, base_url: str, database_url: str, clean
):
    await enrol_face(base_url, TEACHER.nip, photos.photo(FACE))
    await school_camera(base_url, database_url)
    teacher = await bearer(base_url, TEACHER.nip)
    case = await mismatched_checkin(base_url, teacher)
    evidence = await linked_evidence(base_url, case["id"])
    assert evidence[0]["distance"] is not None  # the gate saw the teacher
    older = await backlog(database_url, BACKLOG)
    total = BACKLOG + 1

    context = await browser.new_context(**{**context_options(base_url), "viewport": DESK})
    try:
        page = await context.new_page()
        watch_errors(page)
        await page.goto("/")
        await log_in(page, BKD.nip)
        await page.get_by_role("link", name="Verifikasi").click()
        review = page.locator("#review")
        queue = page.locator("#review-queue")
        await expect(review).to_contain_text(TEACHER.name)
        await expect(page.locator("#review-status")).to_have_text(
            f"{total} presensi menunggu keputusan"
        )
        await expect(page.locator("#review-count")).to_have_text(f"Menampilkan 20 dari {total}")
        await expect(queue.locator("li")).to_have_count(20)
        # At a desk: the queue beside the case, the shortcuts on screen; the filters folded
        # on a 768 px tall screen, a click away.
        assert await beside(page, ".desk-queue", "#review")
        await expect(page.locator("#review-keys")).to_be_visible()
        await expect(page.locator("#review-keys")).to_contain_text("jadikan foto referensi")
        await expect(page.locator("#review-unit")).to_be_hidden()
        await page.get_by_text("Saring: unit, tanggal").click()
        await expect(page.locator("#review-unit")).to_be_visible()
        await expect(page.locator("#review-unit")).to_contain_text("SMP Negeri 1 Todanan (22)")
        await screenshot(page, "11-review-desk-filters", whole=False)
        await page.get_by_text("Saring: unit, tanggal").click()
        await expect(page.locator("#review-unit")).to_be_hidden()

        # The selfie beside the reference and the gate's snapshot, with the match in words.
        for name in ("Selfie", "Foto referensi", "CCTV Gerbang sekolah"):
            image = review.get_by_role("img", name=name)
            await expect(image).to_have_js_property("complete", True)
            assert await image.evaluate("(img) => img.naturalWidth") > 0, name
        cctv = page.locator("#review-cctv")
        await expect(cctv).to_contain_text("Wajah pegawai terlihat di 1 dari 1 gambar CCTV")
        await expect(cctv).to_contain_text("Wajah pegawai terlihat (jarak ")
        await expect(cctv).to_contain_text("Gerbang sekolah")
        await expect(cctv).to_contain_text("(saat presensi)")  # pushed seconds before
        await expect(review).to_contain_text("Wajah tidak cocok dengan foto referensi")
        # Terima/Tolak in view without scrolling, and still after scrolling to the bottom.
        await expect(page.locator("#review-accept")).to_be_in_viewport()
        await page.mouse.wheel(0, 4000)
        await expect(page.locator("#review-accept")).to_be_in_viewport()
        await expect(page.locator("#review-reject")).to_be_in_viewport()
        await expect(queue).to_be_in_viewport()
        await page.evaluate("window.scrollTo(0, 0)")
        await screenshot(page, "11-review-desk-1366", whole=False)

        # J/K and the arrows move in the queue; the case follows.
        first = queue.locator("li").nth(0)
        second = queue.locator("li").nth(1)
        await expect(first).to_have_attribute("aria-current", "true")
        await page.keyboard.press("j")
        await expect(second).to_have_attribute("aria-current", "true")
        await expect(page.locator("#review-who")).not_to_have_text(TEACHER.name)
        await page.keyboard.press("ArrowUp")
        await expect(first).to_have_attribute("aria-current", "true")
        await page.keyboard.press("ArrowDown")
        await page.keyboard.press("k")
        await expect(page.locator("#review-who")).to_have_text(TEACHER.name)

        # N goes to the note without typing an n; there every key is text, shortcut letters
        # too (a, t, j, k, n, f and /), and nothing is decided or moved.
        note = page.locator("#review-note")
        await page.keyboard.press("n")
        await expect(note).to_be_focused()
        await expect(note).to_have_value("")
        words = "Wajah tampak jelas di kamera gerbang/jam 7, foto kantor"
        await page.keyboard.type(words)
        await expect(note).to_have_value(words)
        await expect(first).to_have_attribute("aria-current", "true")
        await expect(page.locator("#review-status")).to_have_text(
            f"{total} presensi menunggu keputusan"
        )
        # Escape hands the keys back; / returns to the note without typing a slash.
        await page.keyboard.press("Escape")
        await expect(note).not_to_be_focused()
        await page.keyboard.press("/")
        await expect(note).to_be_focused()
        await expect(note).to_have_value(words)
        await page.keyboard.press("Escape")
        await screenshot(page, "11-review-desk-note", whole=False)

        # A accepts with the note; the next record shows at once; F makes the accepted
        # selfie a reference photo (once).
        await page.keyboard.press("a")
        await expect(page.locator("#review-status")).to_have_text(
            f"{total - 1} presensi menunggu keputusan"
        )
        recent = page.locator("#review-recent")
        await expect(recent.get_by_role("button", name="Jadikan foto referensi")).to_be_visible()
        await page.keyboard.press("f")
        await expect(recent).to_contain_text("Sudah menjadi foto referensi")
        await screenshot(page, "11-review-desk-decided", whole=False)

        # T on a record without a note asks for one; the note is focused and stays empty.
        await expect(page.locator("#review-who")).not_to_have_text(TEACHER.name)
        await page.keyboard.press("t")
        await expect(page.locator("#review-note-hint")).to_contain_text("Tulis alasan penolakan")
        await expect(note).to_be_focused()
        await expect(note).to_have_value("")
        await page.keyboard.type("Tidak ada selfie; minta presensi ulang")
        await page.keyboard.press("Escape")
        await page.keyboard.press("t")
        await expect(page.locator("#review-status")).to_have_text(
            f"{total - 2} presensi menunggu keputusan"
        )

        # The next page of the backlog: the rest of the older records come in.
        await page.locator("#review-more").click()
        await expect(queue.locator("li")).to_have_count(total - 2)
        await expect(page.locator("#review-more")).to_be_hidden()
        await expect(page.locator("#review-count")).to_have_text(
            f"Menampilkan {total - 2} dari {total - 2}"
        )
        await expect(page.locator(f"#review-row-{older[-1]}")).to_be_visible()
        await screenshot(page, "11-review-desk-page-2", whole=False)

        async def decided():
            conn = await asyncpg.connect(database_url)
            try:
                rows = await conn.fetch(
                    "SELECT id, status, reasons FROM attendance_checkin WHERE id = ANY($1)",
                    [case["id"], older[0]],
                )
                references = await conn.fetchval("SELECT count(*) FROM faces_reference")
            finally:
                await conn.close()
            statuses = {row["id"]: row["status"] for row in rows}
            done = "flagged" not in statuses.values() and references == 2
            return (statuses, rows) if done else None

        statuses, rows = await eventually(decided)
        assert statuses == {case["id"]: "accepted", older[0]: "rejected"}
        reasons = {row["id"]: json.loads(row["reasons"]) for row in rows}
        assert words in reasons[case["id"]][-1]["message"]
        assert "minta presensi ulang" in reasons[older[0]][-1]["message"]
        assert_no_errors(page)
    finally:
        await context.close()
