"""Web Push end to end: the VAPID key, subscriptions, the outbox sent by an arq worker (burst) to a
push service on loopback that decrypts as a browser would, and the check-in reminder."""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import stat
import threading
import types
from collections.abc import AsyncIterator, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from zoneinfo import ZoneInfo

import httpx
import msgspec
import pytest
from arq.worker import Retry, Worker
from cryptography.hazmat.primitives.asymmetric import ec

from backend.attendance.tables import CheckIn
from backend.core.app import create_app
from backend.core.db import migrate, open_engine
from backend.core.settings import Settings
from backend.core.tables import OutboxItem
from backend.demo import seed_demo
from backend.org.tables import Employee, Unit
from backend.push.jobs import send_notification
from backend.push.service import DeliveryFailed, load_vapid
from backend.push.tables import PushNotification, PushSubscription
from backend.services import Services, open_services
from backend.worker import worker_settings
from tests.support.factories import TEACHER, by_role, checkin_files, login, meta
from tests.support.jobs import dispatch_all, settle_in_process
from tests.support.push_endpoint import Browser, PushEndpoint, b64url, unb64url
from tests.support.services import asgi_client

WIB = ZoneInfo("Asia/Jakarta")
MONDAY = dt.date(2026, 6, 8)  # a working day for the 6HK schedule, no holiday
SUNDAY = dt.date(2026, 6, 7)
PANCASILA = dt.date(2026, 6, 1)  # Hari Lahir Pancasila, a Monday and a national holiday


def at(day: dt.date, hhmm: str, zone: ZoneInfo = WIB) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.fromisoformat(hhmm), tzinfo=zone)


@pytest.fixture
def push_endpoint() -> Iterator[PushEndpoint]:
    with PushEndpoint().running() as endpoint:
        yield endpoint


@pytest.fixture
def clean(clean: Settings, push_endpoint: PushEndpoint) -> Settings:
    """The local push endpoint is on loopback: allowed here by the setting, as an operator would
    allow an intranet push service, not by an exception in the code."""
    return msgspec.structs.replace(clean, push_allowed_origins=push_endpoint.origin)


@pytest.fixture
async def services(clean: Settings) -> AsyncIterator[Services]:
    async with open_services(clean, face_executor=lambda: None) as opened:
        yield opened


async def run_worker(settings: Settings) -> None:
    await dispatch_all(settings)  # what the api's and the worker's dispatchers do
    worker = Worker(**worker_settings(settings), burst=True, poll_delay=0.05)
    try:
        await worker.main()
    finally:
        await worker.close()


async def employee_id(nip: str) -> int:
    row = await Employee.select(Employee.id).where(Employee.nip == nip).first()
    assert row is not None
    return row["id"]


async def subscribe(client: httpx.AsyncClient, headers: dict[str, str], browser: Browser) -> None:
    response = await client.post(
        "/api/v1/push/subscriptions", json=browser.to_json(), headers=headers
    )
    assert response.status_code == 201, response.text


def sent(endpoint: PushEndpoint, browser: Browser, *, kind: str) -> list[dict]:
    # The worker also runs the reminder at start-up with the real clock; tests look at their kind.
    notices = [json.loads(text) for text in endpoint.texts(browser)]
    # Every payload names its notification (the service worker shows one notice per id).
    assert all(isinstance(notice.pop("id"), int) for notice in notices)
    return [notice for notice in notices if notice["kind"] == kind]


# --- the key -------------------------------------------------------------------------------------


async def test_the_key_is_a_p256_point_kept_across_restarts(client, teacher, clean):
    response = await client.get("/api/v1/push/key", headers=teacher)
    assert response.status_code == 200
    public_key = response.json()["public_key"]
    point = unb64url(public_key)
    assert len(point) == 65 and point[0] == 4
    ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)  # on the curve

    key_file = clean.data_path / "vapid_private.pem"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    async with asgi_client(create_app(clean, face_executor=lambda: None)) as restarted:
        again = await restarted.get("/api/v1/push/key", headers=await login(restarted))
    assert again.json()["public_key"] == public_key

    assert (await client.get("/api/v1/push/key")).status_code == 401


def test_a_key_given_in_settings_is_used_and_none_is_written(tmp_path):
    generated = load_vapid(types.SimpleNamespace(vapid_private_key="", data_path=tmp_path))
    assert (tmp_path / "vapid_private.pem").is_file()
    pem = generated.private_pem().decode()

    elsewhere = tmp_path / "other"
    given = load_vapid(types.SimpleNamespace(vapid_private_key=pem, data_path=elsewhere))
    assert not elsewhere.exists()
    assert given.public_key.public_numbers() == generated.public_key.public_numbers()


# --- subscriptions --------------------------------------------------------------------------------


async def test_subscribe_upserts_by_endpoint_and_unsubscribe_is_idempotent(
    client, teacher, push_endpoint
):
    browser = push_endpoint.subscribe()
    await subscribe(client, teacher, browser)
    await subscribe(client, teacher, browser)  # the PWA subscribes again on every start
    rows = await PushSubscription.select().where(PushSubscription.endpoint == browser.endpoint)
    assert len(rows) == 1
    assert rows[0]["employee"] == await employee_id(TEACHER.nip)
    assert rows[0]["p256dh"] == browser.to_json()["keys"]["p256dh"]

    # Another person logs in on the same phone: the subscription is theirs now.
    head = by_role("kepala_unit", unit_code=TEACHER.unit_code)
    head_headers = await login(client, head.nip)
    await subscribe(client, head_headers, browser)
    row = await PushSubscription.select().where(PushSubscription.endpoint == browser.endpoint)
    assert [r["employee"] for r in row] == [await employee_id(head.nip)]

    # Only the owner can remove it.
    params = {"endpoint": browser.endpoint}
    gone = await client.delete("/api/v1/push/subscriptions", params=params, headers=teacher)
    assert gone.status_code == 204
    assert await PushSubscription.count().where(PushSubscription.endpoint == browser.endpoint) == 1
    for _ in range(2):  # a replayed unsubscribe is answered the same way
        gone = await client.delete(
            "/api/v1/push/subscriptions", params=params, headers=head_headers
        )
        assert gone.status_code == 204
    assert await PushSubscription.count().where(PushSubscription.endpoint == browser.endpoint) == 0


async def test_subscriptions_need_a_login_and_a_real_subscription(client, teacher, push_endpoint):
    body = push_endpoint.subscribe().to_json()
    assert (await client.post("/api/v1/push/subscriptions", json=body)).status_code == 401

    plain_http = {**body, "endpoint": "http://push.example.com/wpush/v2/abc"}
    response = await client.post("/api/v1/push/subscriptions", json=plain_http, headers=teacher)
    assert response.status_code == 422
    assert "https" in response.json()["detail"]

    point = bytearray(unb64url(body["keys"]["p256dh"]))
    point[-1] ^= 1  # y no longer fits x: not on the curve
    not_a_point = {**body, "keys": {**body["keys"], "p256dh": b64url(bytes(point))}}
    response = await client.post("/api/v1/push/subscriptions", json=not_a_point, headers=teacher)
    assert response.status_code == 422
    assert "P-256" in response.json()["detail"]

    short_auth = {**body, "keys": {**body["keys"], "auth": "A" * 17}}
    response = await client.post("/api/v1/push/subscriptions", json=short_auth, headers=teacher)
    assert response.status_code == 422
    assert "16 byte" in response.json()["detail"]

    for endpoint in (
        "https://127.0.0.1/wpush/abc",
        "https://169.254.169.254/latest/meta-data/",
        "https://[::ffff:127.0.0.1]:6379/",
        "https://localhost/wpush/abc",
        "https://10.0.0.8/wpush/abc",
        f"{push_endpoint.origin.replace('http:', 'https:')}/wpush/abc",
        push_endpoint.origin.rsplit(":", 1)[0] + ":6379/wpush/abc",  # not the listed port
    ):
        response = await client.post(
            "/api/v1/push/subscriptions", json={**body, "endpoint": endpoint}, headers=teacher
        )
        assert response.status_code == 422, endpoint
        assert response.json()["code"] == "invalid"

    no_keys = {"endpoint": body["endpoint"]}
    response = await client.post("/api/v1/push/subscriptions", json=no_keys, headers=teacher)
    assert response.status_code == 400
    assert response.json()["errors"][0] == {"field": "keys", "message": "wajib diisi"}
    assert await PushSubscription.count() == 0


async def test_an_employee_keeps_the_latest_ten_subscriptions(client, teacher, push_endpoint):
    browsers = [push_endpoint.subscribe() for _ in range(11)]
    for browser in browsers:
        await subscribe(client, teacher, browser)
    kept = {row["endpoint"] for row in await PushSubscription.select(PushSubscription.endpoint)}
    assert kept == {browser.endpoint for browser in browsers[1:]}


# --- sending --------------------------------------------------------------------------------------


async def test_a_notice_reaches_every_browser_decrypted(
    client, teacher, clean, services, push_endpoint
):
    phone, laptop = push_endpoint.subscribe(), push_endpoint.subscribe()
    await subscribe(client, teacher, phone)
    await subscribe(client, teacher, laptop)
    key = (await client.get("/api/v1/push/key", headers=teacher)).json()["public_key"]

    notification_id = await services.push.notify(
        await employee_id(TEACHER.nip),
        kind="permit_decision",
        title="Izin disetujui",
        body="Izin sakit tanggal 8 Juni 2026 disetujui oleh kepala sekolah.",
        url="/#izin",
    )
    assert notification_id is not None
    # Written with the notification, in its transaction: the outbox holds the work first.
    assert await OutboxItem.exists().where(OutboxItem.job_key == f"notify:{notification_id}")

    await run_worker(clean)

    expected = {
        "title": "Izin disetujui",
        "body": "Izin sakit tanggal 8 Juni 2026 disetujui oleh kepala sekolah.",
        "url": "/#izin",
        "kind": "permit_decision",
        "id": notification_id,
    }
    for browser in (phone, laptop):
        texts = [t for t in push_endpoint.texts(browser) if '"permit_decision"' in t]
        assert texts == [msgspec.json.encode(expected).decode()]
    delivery = next(d for d in push_endpoint.deliveries if "permit_decision" in d.text)
    assert delivery.claims["aud"] == push_endpoint.origin  # with the port
    assert delivery.claims["sub"] == "mailto:bkd@hadir.invalid"
    assert delivery.vapid_key == key
    assert delivery.headers["ttl"] == str(24 * 3600)
    assert push_endpoint.refusals == []

    row = await PushNotification.select().where(PushNotification.id == notification_id).first()
    assert row["sent_at"] is not None and row["attempts"] == 1
    subscriptions = await PushSubscription.select(PushSubscription.last_sent_at)
    assert all(s["last_sent_at"] is not None for s in subscriptions)
    assert await services.push.send(notification_id) == 0  # already sent: not again


async def test_a_subscription_the_push_service_forgot_is_removed(
    client, teacher, clean, services, push_endpoint
):
    kept, expired = push_endpoint.subscribe(), push_endpoint.subscribe()
    await subscribe(client, teacher, kept)
    await subscribe(client, teacher, expired)
    push_endpoint.answer(expired, 410)

    notification_id = await services.push.notify(
        await employee_id(TEACHER.nip),
        kind="checkin_flagged",
        title="Presensi perlu ditinjau",
        body="Wajah tidak cocok dengan foto referensi.",
    )
    await run_worker(clean)

    assert [n["title"] for n in sent(push_endpoint, kept, kind="checkin_flagged")] == [
        "Presensi perlu ditinjau"
    ]
    endpoints = {row["endpoint"] for row in await PushSubscription.select()}
    assert endpoints == {kept.endpoint}
    row = await PushNotification.select().where(PushNotification.id == notification_id).first()
    assert row["sent_at"] is not None


async def test_an_endpoint_no_longer_allowed_is_not_called_at_send_time(
    client, teacher, clean, push_endpoint
):
    """Allowed when subscribed, not when sent (the operator dropped the origin, or a name now
    resolves to a private address): nothing is posted and the subscription is dropped."""
    browser = push_endpoint.subscribe()
    await subscribe(client, teacher, browser)
    strict = msgspec.structs.replace(clean, push_allowed_origins="")
    async with open_services(strict, face_executor=lambda: None) as services:
        notification_id = await services.push.notify(
            await employee_id(TEACHER.nip), kind="permit_request", title="Izin", body="Ada izin."
        )
        assert notification_id is not None
        assert await services.push.send(notification_id) == 0
    assert push_endpoint.deliveries == [] and push_endpoint.refusals == []
    assert await PushSubscription.count() == 0


@contextlib.contextmanager
def redirecting_to(target: str) -> Iterator[str]:
    """A push service that answers every POST with a 307 to `target`; yields its origin."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(307)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def test_a_push_service_cannot_redirect_the_server_elsewhere(clean, push_endpoint):
    """An allowed push service answering 307 to a loopback address (or cloud metadata) is not
    followed: redirects would carry the POST past the address check."""
    browser = push_endpoint.subscribe()
    with redirecting_to(browser.endpoint) as origin:
        settings = msgspec.structs.replace(clean, push_allowed_origins=origin)
        async with open_services(settings, face_executor=lambda: None) as services:
            teacher_id = await employee_id(TEACHER.nip)
            keys = browser.to_json()["keys"]
            await PushSubscription.insert(
                PushSubscription(
                    employee=teacher_id,
                    endpoint=f"{origin}/wpush/v2/{browser.token}",
                    p256dh=keys["p256dh"],
                    auth=keys["auth"],
                    created_at=dt.datetime.now(dt.UTC),
                )
            )
            notification_id = await services.push.notify(
                teacher_id, kind="permit_request", title="Izin", body="Ada izin."
            )
            assert notification_id is not None
            with pytest.raises(DeliveryFailed, match="307"):
                await services.push.send(notification_id)
    assert push_endpoint.deliveries == [] and push_endpoint.refusals == []


async def test_a_failing_push_service_leaves_the_notice_for_a_retry(
    client, teacher, services, push_endpoint
):
    browser = push_endpoint.subscribe()
    await subscribe(client, teacher, browser)
    push_endpoint.answer(browser, 503)
    notification_id = await services.push.notify(
        await employee_id(TEACHER.nip), kind="permit_request", title="Izin baru", body="Ada izin."
    )
    assert notification_id is not None

    with pytest.raises(DeliveryFailed, match="503"):
        await services.push.send(notification_id)
    with pytest.raises(Retry):  # what the arq job makes of it
        await send_notification({"services": services, "job_try": 2}, id=notification_id)
    row = await PushNotification.select().where(PushNotification.id == notification_id).first()
    assert row["sent_at"] is None and row["attempts"] == 2
    assert await PushSubscription.count() == 1  # a server error is not a gone subscription

    del push_endpoint.answers[browser.token]
    assert await services.push.send(notification_id) == 1
    assert [n["title"] for n in sent(push_endpoint, browser, kind="permit_request")] == [
        "Izin baru"
    ]


async def test_a_notice_with_a_dedupe_key_is_made_once(services):
    teacher_id = await employee_id(TEACHER.nip)
    first = await services.push.notify(
        teacher_id, kind="reminder", title="t", body="b", dedupe_key="reminder:x"
    )
    again = await services.push.notify(
        teacher_id, kind="reminder", title="t", body="b", dedupe_key="reminder:x"
    )
    assert first is not None and again is None
    assert await PushNotification.count() == 1


# --- check-in reminders ---------------------------------------------------------------------------


async def test_the_reminder_goes_out_once_before_the_day_starts(
    client, teacher, clean, services, push_endpoint
):
    browser = push_endpoint.subscribe()
    await subscribe(client, teacher, browser)
    teacher_id = await employee_id(TEACHER.nip)

    assert await services.push.due_reminders(at(MONDAY, "06:40")) == []
    due = await services.push.due_reminders(at(MONDAY, "06:50"))
    assert [(r.employee_id, r.work_date, r.start, r.zone) for r in due] == [
        (teacher_id, MONDAY, "07:00", "WIB")
    ]  # only the subscribed teacher, not her colleagues
    assert await services.push.remind_checkin(at(MONDAY, "06:50")) == 1
    assert await services.push.remind_checkin(at(MONDAY, "06:55")) == 0  # once a day
    assert await services.push.due_reminders(at(MONDAY, "07:00")) == []
    assert await PushNotification.count() == 1

    await run_worker(clean)
    reminders = [n for n in sent(push_endpoint, browser, kind="reminder") if "07:00" in n["body"]]
    assert reminders == [
        {
            "title": "Presensi masuk",
            "body": "Jam kerja mulai 07:00 WIB. Jangan lupa presensi masuk.",
            "url": "/",
            "kind": "reminder",
        }
    ]
    delivery = next(d for d in push_endpoint.deliveries if "07:00 WIB" in d.text)
    assert delivery.headers["ttl"] == str(30 * 60)
    assert delivery.headers["urgency"] == "high"


async def test_no_reminder_on_a_holiday_a_sunday_or_after_checking_in(
    client, teacher, services, push_endpoint
):
    await subscribe(client, teacher, push_endpoint.subscribe())
    assert await services.push.due_reminders(at(PANCASILA, "06:50")) == []
    assert await services.push.due_reminders(at(SUNDAY, "06:50")) == []

    response = await client.post("/api/v1/checkins", files=checkin_files(meta()), headers=teacher)
    assert response.status_code == 201, response.text
    checkin_id = response.json()["id"]
    await CheckIn.update({CheckIn.work_date: MONDAY}).where(CheckIn.id == checkin_id)
    assert await services.push.due_reminders(at(MONDAY, "06:50")) == []

    # A rejected record (outside the fence) is no presensi: she is still reminded.
    await CheckIn.update({CheckIn.status: "rejected"}).where(CheckIn.id == checkin_id)
    assert len(await services.push.due_reminders(at(MONDAY, "06:50"))) == 1


async def test_no_reminder_for_someone_on_a_permit(client, teacher, services, push_endpoint):
    await subscribe(client, teacher, push_endpoint.subscribe())
    teacher_id = await employee_id(TEACHER.nip)
    asked: list[tuple[list[int], dt.date]] = []

    async def approved_on(employee_ids: list[int], day: dt.date) -> dict[int, str]:
        asked.append((employee_ids, day))
        return {teacher_id: "cuti_tahunan"}  # the shape of Permits.approved_on

    services.push.on_permit = approved_on  # as the composition root hands Permits.approved_on
    assert await services.push.due_reminders(at(MONDAY, "06:50")) == []
    assert asked == [([teacher_id], MONDAY)]


async def test_the_reminder_follows_the_units_time_zone(client, teacher, services, push_endpoint):
    await subscribe(client, teacher, push_endpoint.subscribe())
    unit = await Employee.select(Employee.unit).where(Employee.nip == TEACHER.nip).first()
    await Unit.update({Unit.timezone: "Asia/Makassar"}).where(Unit.id == unit["unit"])
    try:
        wita = ZoneInfo("Asia/Makassar")
        assert await services.push.due_reminders(at(MONDAY, "06:50", WIB)) == []  # 07:50 WITA
        (due,) = await services.push.due_reminders(at(MONDAY, "06:50", wita))
        assert (due.start, due.zone) == ("07:00", "WITA")
    finally:
        await Unit.update({Unit.timezone: "Asia/Jakarta"}).where(Unit.id == unit["unit"])


async def test_the_embedded_default_reminds_and_sends_in_process(tmp_path, push_endpoint):
    # SQLite, jobs in-process
    settings = Settings(data_dir=str(tmp_path), push_allowed_origins=push_endpoint.origin)
    async with open_engine(settings) as engine:
        await migrate(engine)
        await seed_demo(default_max_accuracy_m=settings.default_max_accuracy_m)
    browser = push_endpoint.subscribe()
    app = create_app(settings, face_executor=lambda: None)
    async with asgi_client(app) as client:
        headers = await login(client)
        await subscribe(client, headers, browser)
        await subscribe(client, headers, browser)
        assert (await client.get("/api/v1/push/key", headers=headers)).status_code == 200
        services = app.state.services
        assert await services.push.remind_checkin(at(MONDAY, "06:50")) == 1
        assert await services.push.remind_checkin(at(MONDAY, "06:55")) == 0
        await settle_in_process(services)
    assert [n["body"] for n in sent(push_endpoint, browser, kind="reminder")] == [
        "Jam kerja mulai 07:00 WIB. Jangan lupa presensi masuk."
    ]
