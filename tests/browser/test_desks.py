"""The back office's desks in real Chromium at a BKD desk's 1366 px: a circle fence edited with
its to-scale preview and metres check, a crossed polygon refused in words; a face enrolled from
an upload after a blurred photo and an empty landscape were named as such, then from the
camera, and a reference removed; an account deactivated, given a role and a one-time password,
with its audit trail. The fence editor also fits a 360 px phone."""

from __future__ import annotations

import json
import math
import re
from collections.abc import AsyncIterator

import asyncpg
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser.conftest import (
    BKD,
    assert_no_errors,
    camera_ready,
    context_options,
    log_in,
    screenshot,
    watch_errors,
)
from tests.support import photos
from tests.support.factories import TEACHER, by_role

expect.set_options(timeout=20_000)
DESK = {"width": 1366, "height": 900}
CODE = "LOC-DESK-TEST"
NEWCOMER = "199507072020121007"


def desk_options(base_url: str) -> dict:
    return {
        **context_options(base_url),
        "viewport": DESK,
        "device_scale_factor": 1,
        "is_mobile": False,
        "has_touch": False,
    }


@pytest.fixture
async def desk(browser: Browser, base_url: str) -> AsyncIterator[BrowserContext]:
    context = await browser.new_context(**desk_options(base_url))
    yield context
    await context.close()


async def open_from_account(page: Page, nip: str, link: str) -> None:
    await page.goto("/")
    await log_in(page, nip)
    await page.locator("#tabs").get_by_role("link", name="Akun").click()
    await page.locator(link).click()


@pytest.fixture
async def location(database_url: str) -> AsyncIterator[int]:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("DELETE FROM geofence_location WHERE code = $1", CODE)
        location_id = await conn.fetchval(
            "INSERT INTO geofence_location (code, name, unit, geometry, radius_m, updated_at) "
            "SELECT $1, 'Halaman Uji Meja BKD', id, $2, 80, now() FROM org_unit WHERE code = $3 "
            "RETURNING id",
            CODE,
            '{"type": "Point", "coordinates": [111.389, -7.041]}',
            TEACHER.unit_code,
        )
        yield location_id
    finally:
        await conn.execute("DELETE FROM geofence_location WHERE code = $1", CODE)
        await conn.close()


async def scale_bar(preview) -> tuple[int, float]:
    """(metres the scale bar's label says, its length in the drawing's units, which are
    metres: the drawing is to scale)."""
    label = await preview.locator("text.scale-text").text_content()
    d = await preview.locator("path.scale").get_attribute("d")
    numbers = [float(n) for n in re.findall(r"-?[\d.]+", d)]
    start, end = numbers[0], numbers[3]  # M x0,y V y0 H x1 V y
    return int(label.removesuffix(" m")), round(end - start, 3)


async def test_bkd_edits_a_circle_fence_with_its_preview_and_check(
    desk: BrowserContext, database_url: str, location: int, tmp_path
):
    page = await desk.new_page()
    watch_errors(page)
    await open_from_account(page, BKD.nip, "#open-fences")
    await expect(page).to_have_title("Area presensi · hadir")
    await page.locator("#fence-search").fill("uji meja")
    await page.get_by_role("button", name="Cari", exact=True).click()
    await page.locator(f"[data-location='{CODE}']").click()

    await expect(page.locator("#fence-kind")).to_have_value("circle")
    await expect(page.locator("#fence-radius")).to_have_value("80")
    await expect(page.locator("#fence-area")).to_have_text("2,01 ha")
    await expect(page.locator("#fence-largest")).to_have_text("160,0 m")
    preview = page.locator("#fence-preview svg")
    await expect(preview.locator("circle.fence")).to_have_attribute("r", "80")
    assert await scale_bar(preview) == (100, 100)  # the bar is as long as it says

    await page.locator("#fence-radius").fill("12")
    warning = page.locator(".fence-warning[data-code='too_small']")
    await expect(warning).to_contain_text("Jari-jari 12 m lebih kecil dari 25 m")
    await expect(preview.locator("circle.fence")).to_have_attribute("r", "12")
    await expect(preview.locator("text.scale-text")).to_have_text("20 m")
    assert await scale_bar(preview) == (20, 20)
    await screenshot(page, "50-fence-editor-small-circle-warned")

    await page.locator("#fence-radius").fill("60")
    await expect(page.locator("#fence-ok")).to_be_visible()
    await expect(warning).to_have_count(0)
    await expect(page.locator("#fence-area")).to_have_text("1,13 ha")
    await page.locator("#fence-save").click()
    await expect(page.locator("#fence-saved")).to_contain_text("disimpan")
    conn = await asyncpg.connect(database_url)
    try:
        stored = await conn.fetchrow(
            "SELECT radius_m, geometry FROM geofence_location WHERE id = $1", location
        )
        audited = await conn.fetchval(
            "SELECT count(*) FROM core_audit WHERE action = 'geofence.update' AND target_key = $1",
            str(location),
        )
    finally:
        await conn.close()
    assert stored["radius_m"] == 60
    assert audited == 1
    await screenshot(page, "51-fence-editor-circle-saved")

    await page.locator("#fence-kind").select_option("polygon")
    await page.locator("#fence-corners").fill(
        "-7.041, 111.389\n-7.042, 111.390\n-7.041, 111.390\n-7.042, 111.389"
    )
    refused = page.locator(".fence-error[data-code='self_intersection']")
    await expect(refused).to_contain_text("saling bersilangan")
    await expect(page.locator("#fence-save")).to_be_disabled()
    await expect(preview.locator("path.fence")).to_have_count(1)  # drawn, to see the crossing
    await screenshot(page, "52-fence-editor-crossed-polygon-refused")

    # GeoJSON as a GIS tool exports it: a FeatureCollection of one Feature, uploaded.
    upload = tmp_path / "halaman.geojson"
    upload.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"radius_m": 35},
                        "geometry": {"type": "Point", "coordinates": [111.3895, -7.0412]},
                    }
                ],
            }
        )
    )
    await page.locator("#fence-kind").select_option("geojson")
    await page.locator("#fence-upload").set_input_files(str(upload))
    await expect(page.locator("#fence-geojson")).to_have_value(re.compile("FeatureCollection"))
    await expect(page.locator("#fence-largest")).to_have_text("70,0 m")
    await expect(preview.locator("circle.fence")).to_have_attribute("r", "35")
    await page.locator("#fence-geojson").fill('{"type": "Feature", "geometry": ')
    await expect(page.locator("#fence-parse-error")).to_contain_text("bukan GeoJSON yang sah")
    await expect(page.locator("#fence-save")).to_be_disabled()

    await page.locator("#fence-kind").select_option("polygon")
    await page.set_viewport_size({"width": 360, "height": 740})
    await page.locator("#fence-corners").fill(
        "-7.041, 111.389\n-7.041, 111.390\n-7.042, 111.390\n-7.042, 111.389"
    )
    await expect(page.locator("#fence-ok")).to_be_visible()
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await screenshot(page, "53-fence-editor-phone")
    assert_no_errors(page)


async def reference_count(database_url: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return await conn.fetchval(
            "SELECT count(*) FROM faces_reference r JOIN org_employee e ON e.id = r.employee "
            "WHERE e.nip = $1",
            TEACHER.nip,
        )
    finally:
        await conn.close()


async def test_bkd_enrols_from_an_upload_and_the_camera_and_removes_one(
    desk: BrowserContext, database_url: str, clean, tmp_path
):
    blurred = tmp_path / "kabur.jpg"
    blurred.write_bytes(photos.blur(photos.selfie("obama.jpg")))
    empty = tmp_path / "pemandangan.jpg"
    empty.write_bytes(photos.photo("landscape.jpg"))
    good = tmp_path / "pasfoto.jpg"
    good.write_bytes(photos.photo("obama.jpg"))

    page = await desk.new_page()
    watch_errors(page)
    await open_from_account(page, BKD.nip, "#open-faces")
    await expect(page).to_have_title("Pendaftaran wajah · hadir")
    await page.locator("#face-search").fill("nurhayati")
    await page.get_by_role("button", name="Cari", exact=True).click()
    await page.locator(f"[data-nip='{TEACHER.nip}']").click()
    await expect(page.locator("#face-none")).to_be_visible()

    await page.locator("#face-upload").set_input_files(str(blurred))
    await expect(page.locator("#face-problems li[data-code='blurred']")).to_contain_text(
        "Foto kabur"
    )
    await expect(page.locator("#face-save")).to_be_hidden()
    await screenshot(page, "54-face-desk-blurred-photo")
    await page.locator("#face-upload").set_input_files(str(empty))
    await expect(page.locator("#face-problems li[data-code='no_face']")).to_contain_text(
        "Tidak ada wajah yang terlihat"
    )
    await expect(page.locator("#face-save")).to_be_hidden()
    assert await reference_count(database_url) == 0

    await page.locator("#face-upload").set_input_files(str(good))
    await expect(page.locator("#face-ok")).to_contain_text("Foto layak")
    await page.locator("#face-save").click()
    await expect(page.locator("#face-saved")).to_be_visible()
    refs = page.locator("#face-refs .ref")
    await expect(refs).to_have_count(1)
    await expect(refs.first).to_contain_text(f"oleh {BKD.name}")
    thumb = refs.first.locator("img.ref-thumb")
    await expect(thumb).to_be_visible()
    assert await thumb.evaluate("img => img.complete && img.naturalWidth") > 0
    assert await reference_count(database_url) == 1
    await screenshot(page, "55-face-desk-enrolled-from-upload")
    await page.set_viewport_size({"width": 360, "height": 740})
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await screenshot(page, "55b-face-desk-phone")
    await page.set_viewport_size(DESK)

    await page.locator("#face-camera").click()
    await camera_ready(page)
    await page.locator("#face-shoot").click()
    await expect(page.locator("#face-ok")).to_contain_text("Foto layak")
    await page.locator("#face-save").click()
    await expect(refs).to_have_count(2)
    await page.locator("#face-camera").click()  # closed again

    first = refs.first.get_by_role("button", name="Hapus")
    await first.click()
    await refs.first.get_by_role("button", name="Yakin hapus?").click()
    await expect(refs).to_have_count(1)
    assert await reference_count(database_url) == 1
    await screenshot(page, "56-face-desk-reference-removed")
    conn = await asyncpg.connect(database_url)
    try:
        actions = [
            r["action"]
            for r in await conn.fetch(
                "SELECT action FROM core_audit WHERE target = 'faces_reference' "
                "AND target_key = $1 ORDER BY id",
                TEACHER.nip,
            )
        ]
    finally:
        await conn.close()
    assert actions == ["face.enrol", "face.enrol", "face.remove"]
    assert_no_errors(page)


@pytest.fixture
async def newcomer(database_url: str) -> AsyncIterator[str]:
    conn = await asyncpg.connect(database_url)
    try:
        await conn.execute("DELETE FROM org_employee WHERE nip = $1", NEWCOMER)
        await conn.execute(
            "INSERT INTO org_employee (nip, name, unit, roles, position, password_hash, active, "
            "must_change_password, token_version, created_at) "
            "SELECT $1, 'Dewi Anggraini, S.Pd.', unit, ARRAY['asn'], 'Guru Kelas', password_hash, "
            "true, false, 0, now() FROM org_employee WHERE nip = $2",
            NEWCOMER,
            TEACHER.nip,
        )
        yield NEWCOMER
    finally:
        await conn.execute("DELETE FROM org_employee WHERE nip = $1", NEWCOMER)
        await conn.close()


async def test_admin_changes_an_account_resets_its_password_and_reads_its_trail(
    desk: BrowserContext, newcomer: str, clean
):
    page = await desk.new_page()
    watch_errors(page)
    await open_from_account(page, by_role("admin").nip, "#open-employees")
    await expect(page).to_have_title("Kelola pegawai · hadir")
    # The rest of the master data is one link away, on Piccolo Admin.
    await page.locator("#tabs").get_by_role("link", name="Akun").click()
    await expect(page.locator("#open-admin")).to_have_attribute("href", "/admin/")
    await page.locator("#open-admin").click()  # the app's service worker must let it through
    await expect(page.locator("input[name=username]")).to_be_visible()
    await page.goto("/")
    await page.locator("#tabs").get_by_role("link", name="Akun").click()
    await page.locator("#open-employees").click()
    await page.locator("#emp-search").fill(newcomer[:14])
    await page.get_by_role("button", name="Cari", exact=True).click()
    await page.locator(f"[data-nip='{newcomer}']").click()
    await expect(page.locator("#emp-active")).to_be_checked()
    await expect(page.locator("#emp-trail-empty")).to_be_visible()

    await page.locator("#emp-active").uncheck()
    await page.locator("#emp-role-kepala_unit").check()
    await page.locator("#emp-save").click()
    await expect(page.locator("#emp-message")).to_contain_text("Perubahan disimpan")
    rows = page.locator("#emp-trail-table tbody tr")
    await expect(rows).to_have_count(1)
    await expect(rows.first).to_contain_text("active: ya → tidak")
    await expect(rows.first).to_contain_text("roles: asn → asn, kepala_unit")

    await page.locator("#emp-unit").fill("TIDAK-ADA")
    await page.locator("#emp-save").click()
    await expect(page.locator("#emp-message")).to_contain_text(
        "kode unit 'TIDAK-ADA' tidak dikenal"
    )

    await page.locator("#emp-reset").click()
    await page.get_by_role("button", name="Yakin reset kata sandi?").click()
    otp = page.locator("#emp-otp-value")
    await expect(otp).to_have_text(re.compile(r"^\S{8,}$"))
    await expect(rows).to_have_count(2)
    await expect(rows.first).to_have_attribute("data-action", "employee.password_reset")
    await screenshot(page, "57-employee-admin-reset-and-trail")
    await page.set_viewport_size({"width": 360, "height": 740})
    assert await page.evaluate("document.documentElement.scrollWidth") <= 360
    await screenshot(page, "57b-employee-admin-phone")
    assert_no_errors(page)


async def test_an_asn_and_bkd_see_only_their_desks(browser: Browser, base_url: str):
    context = await browser.new_context(**desk_options(base_url))
    try:
        page = await context.new_page()
        await page.goto("/")
        await log_in(page, TEACHER.nip)
        await page.locator("#tabs").get_by_role("link", name="Akun").click()
        await expect(page.locator("#change-password")).to_be_visible()
        for link in ("#open-fences", "#open-faces", "#open-employees"):
            await expect(page.locator(link)).to_have_count(0)
        await page.goto("/#/wajah")
        await expect(page.locator("#check-in")).to_be_visible()  # the route falls back
    finally:
        await context.close()
    context = await browser.new_context(**desk_options(base_url))
    try:
        page = await context.new_page()
        await page.goto("/")
        await log_in(page, BKD.nip)
        await page.locator("#tabs").get_by_role("link", name="Akun").click()
        await expect(page.locator("#open-faces")).to_be_visible()
        await expect(page.locator("#open-employees")).to_have_count(0)
        await expect(page.locator("#open-admin")).to_have_count(0)
    finally:
        await context.close()


async def test_map_tiles_are_drawn_under_the_fence_only_when_configured(
    desk: BrowserContext, base_url: str, location: int
):
    """The server of this package has no HADIR_TILE_URL (the default): no tile is drawn. With
    one (here the API's answers are given one, a same-origin picture, as the CSP allows only
    the configured origin), the tiles of the view are laid where Web Mercator puts them: the
    tile holding the centre of the circle lies under the centre of the drawing."""
    page = await desk.new_page()
    watch_errors(page)
    await open_from_account(page, BKD.nip, "#open-fences")
    await page.locator("#fence-search").fill(CODE)
    await page.get_by_role("button", name="Cari", exact=True).click()
    await page.locator(f"[data-location='{CODE}']").click()
    await expect(page.locator("#fence-preview svg circle.fence")).to_be_visible()
    assert await page.locator("#fence-preview image.tile").count() == 0

    tiles = f"{base_url}/icons/icon-192.png?z={{z}}&x={{x}}&y={{y}}"

    async def with_tiles(route):
        response = await route.fetch()
        body = await response.json()
        body["tile_url"] = tiles
        await route.fulfill(response=response, json=body)

    await page.route("**/api/v1/admin/locations**", with_tiles)
    await page.get_by_role("button", name="Cari", exact=True).click()
    await page.locator(f"[data-location='{CODE}']").click()
    images = page.locator("#fence-preview image.tile")
    await expect(images.first).to_be_attached()
    found = []
    for image in await images.all():
        href = await image.get_attribute("href")
        z, x, y = (int(v) for v in re.findall(r"=(\d+)", href))
        box = [float(await image.get_attribute(a)) for a in ("x", "y", "width", "height")]
        found.append((z, x, y, box))
    lon, lat = 111.389, -7.041
    z = found[0][0]
    n = 2**z
    centre_x = int((lon + 180) / 360 * n)
    r = math.radians(lat)
    centre_y = int((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)
    [(_, _, _, (x, y, w, h))] = [t for t in found if (t[1], t[2]) == (centre_x, centre_y)]
    assert x <= 0 <= x + w and y <= 0 <= y + h  # the drawing's origin is the circle's centre
    assert 12 <= z <= 19
    await screenshot(page, "58-fence-editor-tiles", whole=False)
    assert_no_errors(page)
