"""The rules of signed, hash-chained records, as plain functions (the unit tests call them).

A device signs each record it queues: `Signed` (the link: device, seq, prev; the record: kind,
meta without sent_at, SHA-256 of each file part) serialised once on the device; its SHA-256 is
the link's hash, and the next record names that hash as `prev`. The server checks the
signature, that what it received is what was signed, and that the link follows the links it has
already seen from that device.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import msgspec

from backend.devices.schemas import ChainBlock, ChainReason, Signed

UNREGISTERED, SIGNATURE_INVALID, CHAIN_BROKEN = (
    "device_unregistered",
    "signature_invalid",
    "chain_broken",
)
CODES = frozenset({UNREGISTERED, SIGNATURE_INVALID, CHAIN_BROKEN})
SIGNED_VERSION = 1


def unreadable() -> ChainReason:
    return ChainReason(
        SIGNATURE_INVALID, "Blok tanda tangan perangkat rusak atau tidak dapat dibaca"
    )


def forged() -> ChainReason:
    return ChainReason(
        SIGNATURE_INVALID,
        "Tanda tangan tidak sah: catatan ini tidak dibuat oleh perangkat terdaftar yang disebutnya",
    )


def edited(what: str) -> ChainReason:
    return ChainReason(
        SIGNATURE_INVALID,
        f"Isi catatan berbeda dengan yang ditandatangani perangkat ({what}): "
        "catatan diubah setelah dibuat",
    )


def unregistered(why: str) -> ChainReason:
    return ChainReason(UNREGISTERED, why)


def device_problem(device: Mapping[str, Any] | None, employee_id: int) -> ChainReason | None:
    """Whether the key a record names may sign for this employee: registered, theirs, live."""
    if device is None:
        return unregistered("Perangkat yang menandatangani catatan ini tidak terdaftar di server")
    if device["employee"] != employee_id:
        return unregistered(
            "Catatan ini ditandatangani perangkat yang terdaftar atas nama pegawai lain"
        )
    if device["revoked_at"] is not None:
        return unregistered(
            "Perangkat yang menandatangani catatan ini sudah dicabut pendaftarannya"
        )
    return None


def decode_block(raw: bytes | str) -> ChainBlock | None:
    """The chain part, or None when it cannot be read (flagged, never a 4xx: the record stays)."""
    try:
        return msgspec.json.decode(raw, type=ChainBlock)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None


def decode_signed(block: ChainBlock) -> Signed | None:
    try:
        return msgspec.json.decode(block.signed, type=Signed)
    except (msgspec.ValidationError, msgspec.DecodeError):
        return None


def received_meta(raw: bytes | str) -> dict[str, Any] | None:
    """The meta part as received, without `sent_at`: what the device signed."""
    try:
        meta = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return None
    if not isinstance(meta, dict):
        return None
    meta.pop("sent_at", None)
    return meta


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def file_hashes(files: Mapping[str, bytes | None]) -> dict[str, str]:
    return {name: hashlib.sha256(data).hexdigest() for name, data in files.items() if data}


def content_problem(
    block: ChainBlock,
    signed: Signed,
    *,
    kind: str,
    meta: dict[str, Any] | None,
    files: Mapping[str, bytes | None],
) -> ChainReason | None:
    """Whether what arrived is what the device signed; None when it is."""
    if sha256_hex(block.signed) != block.hash:
        return edited("hash blok tidak cocok")
    if (signed.device, signed.seq, signed.prev) != (block.device, block.seq, block.prev):
        return edited("nomor urut atau rantai pada blok diubah")
    if signed.kind != kind:
        return edited("jenis catatan")
    if meta is None or signed.meta != meta:
        return edited("data catatan")
    if signed.files != file_hashes(files):
        return edited("berkas foto atau lampiran")
    return None


class Judgement(msgspec.Struct, frozen=True):
    replay: bool  # the very same link seen before: judged then, not again
    reason: ChainReason | None


def _numbers(first: int, last: int) -> str:
    return f"nomor {first}" if first == last else f"nomor {first}–{last}"


def judge_link(
    seq: int,
    prev: str,
    digest: str,
    *,
    same_seq: list[str],
    previous: str | None,
    last_seq: int,
) -> Judgement:
    """Where a genuine link (its signature is valid) stands in its device's chain.

    `same_seq`: hashes of genuine links already seen with this number; `previous`: the hash of
    the genuine link numbered `seq - 1`, None if never seen; `last_seq`: the highest number seen.
    """
    if digest in same_seq:
        return Judgement(replay=True, reason=None)
    if same_seq:
        return Judgement(
            False,
            ChainReason(
                CHAIN_BROKEN,
                f"Nomor urut {seq} perangkat ini sudah dipakai catatan lain: "
                "catatan ganda atau dipalsukan",
            ),
        )
    if seq < last_seq:
        return Judgement(
            False,
            ChainReason(
                CHAIN_BROKEN,
                f"Catatan nomor {seq} tiba setelah catatan nomor {last_seq} dari perangkat yang "
                "sama: urutan catatan berubah",
            ),
        )
    if seq == 1:
        if prev:
            return Judgement(
                False,
                ChainReason(
                    CHAIN_BROKEN,
                    "Catatan pertama perangkat ini merujuk catatan sebelumnya yang tidak ada",
                ),
            )
        return Judgement(False, None)
    if previous is None:
        return Judgement(
            False,
            ChainReason(
                CHAIN_BROKEN,
                f"Catatan {_numbers(last_seq + 1, seq - 1)} dari perangkat ini tidak pernah "
                "diterima server: ada catatan yang dihapus atau hilang sebelum catatan ini",
            ),
        )
    if previous != prev:
        return Judgement(
            False,
            ChainReason(
                CHAIN_BROKEN,
                f"Catatan ini tidak menyambung ke catatan nomor {seq - 1} dari perangkat yang "
                "sama: ada catatan yang diganti",
            ),
        )
    return Judgement(False, None)
