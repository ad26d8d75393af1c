"""Device keys and signed records: wire formats.

`ChainBlock` is what the PWA's outbox sends beside every record as the multipart part `chain`
(JSON). Only `signed` and `sig` carry weight: `signed` is the exact string the device signed,
and `device`, `seq`, `prev`, `hash` repeat what it says so a person reading a request can see
them; the server checks that they agree. See README "Signed records".
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import msgspec

Hex64 = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
MAX_SIGNED_CHARS = 20_000  # a check-in's signed string is ~400 characters; a permit's ~1,500


class ChainBlock(msgspec.Struct, frozen=True):
    device: Hex64  # the key's fingerprint: hex SHA-256 of its SPKI DER bytes
    seq: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]  # 1, 2, 3 ... per device key
    prev: Annotated[str, msgspec.Meta(max_length=64)]  # the previous link's hash; "" for seq 1
    hash: Hex64  # hex SHA-256 of `signed` (UTF-8)
    sig: Annotated[str, msgspec.Meta(max_length=200)]  # ECDSA P-256 SHA-256, raw r||s, base64
    signed: Annotated[str, msgspec.Meta(max_length=MAX_SIGNED_CHARS)]


class Signed(msgspec.Struct, frozen=True):
    """What `ChainBlock.signed` holds (JSON): the link and the record's content."""

    v: int
    device: str
    seq: Annotated[int, msgspec.Meta(ge=1, le=2**31 - 1)]
    prev: Annotated[str, msgspec.Meta(max_length=64)]
    kind: str  # the outbox kind: checkin | permit
    meta: dict[str, Any]  # the meta part as sent, without `sent_at` (new on every retry)
    files: dict[str, str]  # multipart file part name -> hex SHA-256 of its bytes


class ChainReason(msgspec.Struct, frozen=True):
    """device_unregistered | signature_invalid | chain_broken, with a plain sentence."""

    code: str
    message: str


class Verdict(msgspec.Struct, frozen=True):
    """What `Devices.verify_record` says of one record."""

    signed: bool  # False: the record carried no chain block (an old app, a script)
    device_id: int | None  # the registered device it names, None when unsigned or unknown
    seq: int | None  # its number in that device's chain
    reasons: list[ChainReason]  # empty: signed, verified, in its place


class DeviceCreate(msgspec.Struct, frozen=True):
    public_key: Annotated[str, msgspec.Meta(min_length=40, max_length=400)]  # SPKI, base64
    label: Annotated[str, msgspec.Meta(max_length=200)] = ""  # e.g. the browser's user agent


class Device(msgspec.Struct, frozen=True):
    id: int
    fingerprint: str
    label: str
    registered_at: dt.datetime
    last_seq: int  # how many records it has signed that the server has seen (the highest number)
    last_seen_at: dt.datetime | None
    revoked_at: dt.datetime | None
    broken: int = 0  # links judged chain_broken or with a forged signature


class DeviceList(msgspec.Struct, frozen=True):
    items: list[Device]  # newest registration first
