from __future__ import annotations

import datetime as dt
from typing import Annotated

import msgspec

Base64Url = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9_-]+={0,2}$")]


class PushKey(msgspec.Struct, frozen=True):
    """The VAPID public key: what `PushManager.subscribe({applicationServerKey})` takes."""

    public_key: str  # base64url, uncompressed P-256 point (65 bytes)


class SubscriptionKeys(msgspec.Struct, frozen=True):
    p256dh: Annotated[Base64Url, msgspec.Meta(min_length=80, max_length=100)]
    auth: Annotated[Base64Url, msgspec.Meta(min_length=16, max_length=32)]


class SubscriptionCreate(msgspec.Struct, frozen=True):
    """The browser's `PushSubscription.toJSON()`, as it is."""

    endpoint: Annotated[str, msgspec.Meta(min_length=10, max_length=1000)]
    keys: SubscriptionKeys
    # Milliseconds since the epoch; browsers send null (subscriptions do not expire on a date).
    expiration_time: float | None = msgspec.field(name="expirationTime", default=None)


class Subscription(msgspec.Struct, frozen=True):
    endpoint: str
    created_at: dt.datetime


class Notice(msgspec.Struct, frozen=True):
    """The push message's plaintext, read by the service worker's `push` handler."""

    title: str
    body: str
    url: str
    kind: str
    # The notification's id: the service worker shows one notice per id (its `tag`), however
    # often a push service delivers it.
    id: int | None = None


class Reminder(msgspec.Struct, frozen=True):
    """A check-in reminder due now: the employee's window on `work_date` starts at `start`."""

    employee_id: int
    work_date: dt.date
    start: str  # "07:00", the unit's local time
    zone: str  # "WIB", "WITA", "WIT" or the IANA name
