"""Web Push: the VAPID key, browsers' subscriptions, and the notification outbox.

A notification is a `push_notification` row first, written with its outbox event
(`notify:<id>`) in one transaction, so a notice is never lost with a job. Sending claims the row
for a while and marks it sent, so two runs never both send it; the payload carries its id. Sending encrypts the payload for each of
the employee's browsers (RFC 8291, aes128gcm) and signs a VAPID token (RFC 8292) for the push
service; a subscription the push service no longer knows (404/410) is deleted.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import logging
import os
import secrets
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import anyio.to_thread
import msgspec
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from backend.core import outbox as events
from backend.core.auth import Principal
from backend.core.errors import Invalid
from backend.core.net import HostNotFound, UnsafeUrl, check_public_url
from backend.core.outbox import Outbox
from backend.core.settings import Settings
from backend.org import service as org
from backend.push.schemas import Notice, Reminder, Subscription, SubscriptionCreate
from backend.push.tables import PushNotification, PushSubscription

log = logging.getLogger(__name__)

DEFAULT_SUBJECT = "mailto:bkd@hadir.invalid"
VAPID_FILE = "vapid_private.pem"

# How long before the schedule starts the check-in reminder goes out. The job runs every five
# minutes, so each window is seen three times; the dedupe key sends it once.
REMINDER_LEAD = dt.timedelta(minutes=15)

# How long a push service keeps a notice for a phone that is off. A reminder is worthless once
# the working day has begun; a permit decision is still news the next morning.
TTL_S = {"reminder": 30 * 60}
DEFAULT_TTL_S = 24 * 3600
# Web Push's Urgency header: "high" may wake a phone in battery saver.
URGENCY = {"reminder": "high"}

# Browsers that share one device (a school's tablet) or reinstall the PWA pile up subscriptions;
# older ones beyond this many per employee are dropped.
MAX_SUBSCRIPTIONS = 10

# A push endpoint's name is resolved before each call; a resolver that hangs must not hold a
# subscription request.
DNS_TIMEOUT_S = 5
ZONE_NAMES = {
    "Asia/Jakarta": "WIB",
    "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


class NoRedirects(requests.Session):
    """A push service answers 201; a redirect would carry the POST past the address check
    (to loopback or a metadata address), so it is never followed and counts as a failure."""

    def request(self, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs["allow_redirects"] = False
        return super().request(*args, **kwargs)


class DeliveryFailed(Exception):
    """Some of an employee's push services did not take the notice; worth trying again."""


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text.rstrip("=") + "=" * (-len(text.rstrip("=")) % 4))


def load_vapid(settings: Settings) -> Vapid:
    """The VAPID key pair: from settings when given, else generated once under `data_dir`.

    Every api process and worker must sign with the same key: browsers subscribed with its
    public half, and a push service refuses tokens signed by any other.
    """
    pem = settings.vapid_private_key
    if pem:
        return Vapid.from_pem(pem.encode())
    path = settings.data_path / VAPID_FILE
    if not path.exists():
        _create_key_file(path)
    return Vapid.from_pem(path.read_bytes())


def _create_key_file(path: Path) -> None:
    # Several processes may start at once: each writes its own file and links it into place;
    # the first link wins and the others read the winner's key.
    path.parent.mkdir(parents=True, exist_ok=True)
    vapid = Vapid()
    vapid.generate_keys()
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    draft.write_bytes(vapid.private_pem())
    draft.chmod(0o600)
    try:
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()


async def check_endpoint(endpoint: str, allowed_origins: frozenset[str]) -> None:
    """Refuse an endpoint the server must not call (see backend.core.net): https on public
    addresses, or an origin listed in `push_allowed_origins`."""
    try:
        with anyio.fail_after(DNS_TIMEOUT_S):
            await anyio.to_thread.run_sync(
                functools.partial(check_public_url, endpoint, allowed_origins=allowed_origins),
                abandon_on_cancel=True,
            )
    except UnsafeUrl as exc:
        raise Invalid(f"Alamat langganan notifikasi (endpoint) ditolak: {exc}") from None
    except TimeoutError:
        raise Invalid(
            "Alamat langganan notifikasi (endpoint) ditolak: nama host tidak dapat diperiksa"
        ) from None


def check_subscription(data: SubscriptionCreate) -> None:
    """Refuse keys no browser would send, with a message the PWA can show."""
    try:
        point = b64url_decode(data.keys.p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:  # binascii.Error included
        raise Invalid("Kunci langganan notifikasi (p256dh) bukan kunci P-256 yang sah") from None
    try:
        auth = b64url_decode(data.keys.auth)
    except ValueError:
        auth = b""
    if len(auth) != 16:
        raise Invalid("Rahasia langganan notifikasi (auth) harus 16 byte")


# Employee ids on an approved permit that day (a dict keyed by employee id does too): the
# permits service's `approved_on`.
PermitLookup = Callable[[list[int], dt.date], Awaitable[Iterable[int]]]
# (employee, work_date) pairs with a check-in that was not rejected, among these employees and
# days: the check-ins service's `checked_in`.
CheckedInLookup = Callable[[list[int], list[dt.date]], Awaitable[set[tuple[int, dt.date]]]]


class Push:
    def __init__(
        self,
        *,
        settings: Settings,
        outbox: Outbox,
        on_permit: PermitLookup,
        checked_in: CheckedInLookup,
    ) -> None:
        self.settings = settings
        self.outbox = outbox
        self.on_permit = on_permit
        self.checked_in = checked_in
        self.vapid = load_vapid(settings)
        self.subject = settings.vapid_subject or DEFAULT_SUBJECT
        self.public_key = b64url(
            self.vapid.public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
        )

    # --- subscriptions ------------------------------------------------------------------------

    async def subscribe(self, who: Principal, data: SubscriptionCreate) -> Subscription:
        """Keep a browser's subscription for the caller (the latest login on a device owns it)."""
        check_subscription(data)
        await check_endpoint(data.endpoint, self.settings.push_origins)
        now = dt.datetime.now(dt.UTC)
        row = PushSubscription(
            employee=who.employee_id,
            endpoint=data.endpoint,
            p256dh=data.keys.p256dh,
            auth=data.keys.auth,
            created_at=now,
        )
        await PushSubscription.insert(row).on_conflict(
            target=PushSubscription.endpoint,
            action="DO UPDATE",
            values=[
                PushSubscription.employee,
                PushSubscription.p256dh,
                PushSubscription.auth,
                PushSubscription.created_at,
            ],
        )
        await self._drop_oldest(who.employee_id)
        return Subscription(endpoint=data.endpoint, created_at=now)

    async def _drop_oldest(self, employee_id: int) -> None:
        rows = await (
            PushSubscription.select(PushSubscription.id)
            .where(PushSubscription.employee == employee_id)
            .order_by(PushSubscription.created_at, ascending=False)
        )
        if extra := [row["id"] for row in rows[MAX_SUBSCRIPTIONS:]]:
            await PushSubscription.delete().where(PushSubscription.id.is_in(extra))

    async def unsubscribe(self, who: Principal, endpoint: str) -> None:
        """Forget the caller's subscription; one already gone is not an error (replays)."""
        await PushSubscription.delete().where(
            (PushSubscription.endpoint == endpoint) & (PushSubscription.employee == who.employee_id)
        )

    # --- the outbox ---------------------------------------------------------------------------

    async def notify(
        self,
        employee_id: int,
        *,
        kind: str,
        title: str,
        body: str,
        url: str = "/",
        dedupe_key: str | None = None,
    ) -> int | None:
        """Queue a notification to every browser the employee subscribed.

        Returns the notification's id, or None when one with this `dedupe_key` already exists.
        """
        async with self.outbox.transaction():
            inserted = (
                await PushNotification.insert(
                    PushNotification(
                        employee=employee_id,
                        kind=kind,
                        title=title[:100],
                        body=body[:500],
                        url=url,
                        dedupe_key=dedupe_key,
                        created_at=dt.datetime.now(dt.UTC),
                    )
                )
                .on_conflict(target=PushNotification.dedupe_key, action="DO NOTHING")
                .returning(PushNotification.id)
            )
            if not inserted:
                return None
            notification_id = inserted[0]["id"]
            await self.outbox.add(events.notification_created(notification_id))
        return notification_id

    async def _claim(self, notification_id: int) -> dict[str, Any] | None:
        """Take an unsent notification for one send; None when it is sent, gone, or being sent
        by another run right now."""
        now = dt.datetime.now(dt.UTC)
        free = PushNotification.sending_since.is_null() | (
            # A run that claimed it and never finished (its worker was killed) lets another try
            # once the outbox would hand the work over again.
            PushNotification.sending_since < now - dt.timedelta(seconds=self.outbox.retry_s)
        )
        claimed = (
            await PushNotification.update({PushNotification.sending_since: now})
            .where(
                (PushNotification.id == notification_id) & PushNotification.sent_at.is_null() & free
            )
            .returning(PushNotification.id)
        )
        if not claimed:
            return None
        return await PushNotification.select().where(PushNotification.id == notification_id).first()

    async def send(self, notification_id: int) -> int:
        """Deliver a notification to each of its employee's browsers; returns how many took it.

        Idempotent: a notification already sent is not sent again, and one being sent by another
        run is left to it (DeliveryFailed, so this run's job is tried again if that one dies).
        Raises DeliveryFailed when a push service failed (other than 404/410), leaving `sent_at`
        empty for the retry and the reason in `last_error`.
        """
        notification = await self._claim(notification_id)
        if notification is None:
            row = (
                await PushNotification.select(PushNotification.sent_at)
                .where(PushNotification.id == notification_id)
                .first()
            )
            if row is None or row["sent_at"] is not None:
                return 0
            raise DeliveryFailed(f"notification {notification_id} is being sent by another run")
        kind = notification["kind"]
        payload = msgspec.json.encode(
            Notice(
                title=notification["title"],
                body=notification["body"],
                url=notification["url"],
                kind=kind,
                id=notification_id,
            )
        ).decode()
        subscriptions = await PushSubscription.select().where(
            PushSubscription.employee == notification["employee"]
        )
        delivered, failures = 0, []
        for subscription in subscriptions:
            try:
                # Bounded as a whole too: requests' timeout is per socket operation, and a push
                # service that trickles bytes would outlast it. A thread given up on ends at its
                # own timeout; this try counts as failed and the job is retried later.
                with anyio.fail_after(self.settings.push_timeout_s):
                    await anyio.to_thread.run_sync(
                        functools.partial(
                            self._post, subscription, payload, kind, topic(notification_id)
                        ),
                        abandon_on_cancel=True,
                    )
            except TimeoutError:
                failures.append(
                    f"no answer within {self.settings.push_timeout_s} s from {_origin(subscription)}"
                )
            except HostNotFound as exc:
                failures.append(f"{exc} ({_origin(subscription)})")
            except UnsafeUrl as exc:
                # Allowed when subscribed but not now (DNS changed, or the operator dropped the
                # origin): never called, and dropped like a subscription the service forgot.
                log.warning("push endpoint on %s refused: %s", _origin(subscription), exc)
                await PushSubscription.delete().where(PushSubscription.id == subscription["id"])
                continue
            except WebPushException as exc:
                if exc.status_code in (404, 410):
                    # The browser unsubscribed or the push service expired it: it never comes back.
                    await PushSubscription.delete().where(PushSubscription.id == subscription["id"])
                    continue
                failures.append(f"{exc.status_code or 'error'} from {_origin(subscription)}")
            except requests.RequestException as exc:
                failures.append(f"{type(exc).__name__} reaching {_origin(subscription)}")
            else:
                delivered += 1
                await PushSubscription.update(
                    {PushSubscription.last_sent_at: dt.datetime.now(dt.UTC)}
                ).where(PushSubscription.id == subscription["id"])
        values: dict[Any, Any] = {
            PushNotification.attempts: PushNotification.attempts + 1,
            PushNotification.sending_since: None,
        }
        error = ""
        if failures:
            error = (
                f"{len(failures)} of {len(subscriptions)} push services failed "
                f"({'; '.join(failures)})"
            )
        else:
            values[PushNotification.sent_at] = dt.datetime.now(dt.UTC)
        values[PushNotification.last_error] = error[:300]
        await PushNotification.update(values).where(PushNotification.id == notification_id)
        if failures:
            # The retry posts to every browser again: a notice twice on one phone is a lesser
            # harm than a notice lost on another.
            raise DeliveryFailed(f"notification {notification_id}: {error}")
        return delivered

    def _post(self, subscription: dict[str, Any], payload: str, kind: str, topic: str) -> None:
        # Blocking (DNS, requests): called in a worker thread. Checked again at each send: the
        # name may resolve elsewhere than when the browser subscribed.
        check_public_url(subscription["endpoint"], allowed_origins=self.settings.push_origins)
        with NoRedirects() as session:
            self._webpush(subscription, payload, kind, topic, session)

    def _webpush(
        self,
        subscription: dict[str, Any],
        payload: str,
        kind: str,
        topic: str,
        session: requests.Session,
    ) -> None:
        webpush(
            subscription_info={
                "endpoint": subscription["endpoint"],
                "keys": {"p256dh": subscription["p256dh"], "auth": subscription["auth"]},
            },
            data=payload,
            vapid_private_key=self.vapid,
            # A fresh dict each time: webpush fills in `aud` (the endpoint's origin) and `exp`.
            vapid_claims={"sub": self.subject},
            content_encoding="aes128gcm",
            ttl=TTL_S.get(kind, DEFAULT_TTL_S),
            headers={"Urgency": URGENCY.get(kind, "normal"), "Topic": topic},
            timeout=self.settings.push_timeout_s,
            requests_session=session,
        )

    # --- check-in reminders -------------------------------------------------------------------

    async def due_reminders(self, now: dt.datetime) -> list[Reminder]:
        """Reminders to send at `now`: subscribed employees whose working window starts within
        REMINDER_LEAD, on a working day that is no holiday, who have not checked in that day,
        are not on a permit, and have not been reminded that day yet."""
        subscribed = [
            row["employee"]
            for row in await PushSubscription.select(PushSubscription.employee).distinct()
        ]
        employees = await org.working_hours_of(subscribed)
        due: list[Reminder] = []
        for employee_id, windows, timezone in employees:
            zone = ZoneInfo(timezone)
            today = now.astimezone(zone).date()
            # Tomorrow too: a shift starting at 00:10 is due at 23:55 the day before.
            for day in (today, today + dt.timedelta(days=1)):
                window = windows.get(str(day.isoweekday()))
                if not window:
                    continue
                start = dt.datetime.combine(day, dt.time.fromisoformat(window[0]), tzinfo=zone)
                if start - REMINDER_LEAD <= now < start:
                    zone_name = ZONE_NAMES.get(zone.key, zone.key)
                    due.append(Reminder(employee_id, day, window[0], zone_name))
        if not due:
            return []
        days = {reminder.work_date for reminder in due}
        holidays = set(await org.holidays_between(min(days), max(days)))
        due = [reminder for reminder in due if reminder.work_date not in holidays]
        excluded = await self.checked_in(
            sorted({r.employee_id for r in due}), sorted({r.work_date for r in due})
        )
        for day in days - holidays:
            on_day = {reminder.employee_id for reminder in due if reminder.work_date == day}
            on_leave = await self.on_permit(sorted(on_day), day)
            excluded |= {(employee, day) for employee in on_leave}
        due = [r for r in due if (r.employee_id, r.work_date) not in excluded]
        if not due:
            return []
        reminded = {
            row["dedupe_key"]
            for row in await PushNotification.select(PushNotification.dedupe_key).where(
                PushNotification.dedupe_key.is_in([reminder_key(r) for r in due])
            )
        }
        return [r for r in due if reminder_key(r) not in reminded]

    async def remind_checkin(self, now: dt.datetime) -> int:
        """Send the reminders due at `now`; returns how many were queued."""
        queued = 0
        for reminder in await self.due_reminders(now):
            notification_id = await self.notify(
                reminder.employee_id,
                kind="reminder",
                title="Presensi masuk",
                body=f"Jam kerja mulai {reminder.start} {reminder.zone}. "
                "Jangan lupa presensi masuk.",
                url="/",
                dedupe_key=reminder_key(reminder),
            )
            queued += notification_id is not None
        return queued


def topic(notification_id: int) -> str:
    """Web Push's Topic header (RFC 8030 5.4): a push service holding an undelivered message
    with the same topic for a phone that is off replaces it, so a notice sent again (a worker
    killed between the push service's 201 and marking it sent) reaches that phone once."""
    return f"hadir-{notification_id}"


def reminder_key(reminder: Reminder) -> str:
    return f"reminder:{reminder.employee_id}:{reminder.work_date.isoformat()}"


def _origin(subscription: dict[str, Any]) -> str:
    # The host only: the rest of an endpoint identifies the browser.
    return urlsplit(subscription["endpoint"]).netloc
