"""The chain rules as plain functions: the next link, a gap, a reorder, a duplicate, edited
content, a forged signature, an unknown device."""

from __future__ import annotations

import datetime as dt
import json

import msgspec
from cryptography.hazmat.primitives.asymmetric import ec

from backend.attendance.schemas import Reason
from backend.attendance.service import final_status
from backend.core import signing
from backend.devices import chain
from backend.devices.schemas import ChainBlock
from tests.support.devicekeys import DeviceSigner

H1, H2, H3 = "1" * 64, "2" * 64, "3" * 64
META = {
    "client_id": "0b0f8c63-6b2e-4f55-9d0e-1d4f8f7f7a11",
    "kind": "in",
    "lat": -7.1,
    "lon": 111.4,
    "accuracy_m": 12.5,
    "captured_at": "2026-11-30T01:02:03.456Z",
}


def judge(seq, prev, digest, *, same=(), previous=None, last=0):
    return chain.judge_link(
        seq, prev, digest, same_seq=list(same), previous=previous, last_seq=last
    )


def test_the_first_link_and_the_next_are_in_their_place():
    assert judge(1, "", H1) == chain.Judgement(replay=False, reason=None)
    assert judge(2, H1, H2, previous=H1, last=1).reason is None


def test_the_same_link_again_is_a_replay_judged_once():
    assert judge(2, H1, H2, same=[H2], previous=H1, last=2).replay


def test_a_skipped_number_is_a_removed_record():
    reason = judge(4, H3, "4" * 64, last=2).reason
    assert reason is not None and reason.code == "chain_broken"
    assert "nomor 3 " in reason.message and "dihapus atau hilang" in reason.message
    several = judge(6, H3, "6" * 64, last=2).reason
    assert several is not None and "nomor 3–5" in several.message


def test_a_number_arriving_after_a_later_one_is_a_reorder():
    reason = judge(2, H1, H2, previous=H1, last=3).reason
    assert reason is not None and reason.code == "chain_broken"
    assert "tiba setelah catatan nomor 3" in reason.message


def test_a_number_used_twice_with_other_content_is_a_duplicate():
    reason = judge(2, H1, H3, same=[H2], previous=H1, last=2).reason
    assert reason is not None and reason.code == "chain_broken"
    assert "sudah dipakai catatan lain" in reason.message


def test_a_link_naming_another_previous_hash_is_a_replaced_record():
    reason = judge(2, H3, H2, previous=H1, last=1).reason
    assert reason is not None and "tidak menyambung" in reason.message
    first = judge(1, H3, H1).reason
    assert first is not None and first.code == "chain_broken"


def content(block: dict, meta: dict, files: dict[str, bytes | None]):
    parsed = chain.decode_block(json.dumps(block))
    assert parsed is not None
    signed = chain.decode_signed(parsed)
    assert signed is not None
    return chain.content_problem(
        parsed, signed, kind="checkin", meta=chain.received_meta(json.dumps(meta)), files=files
    )


def test_what_was_signed_matches_what_arrived_whatever_sent_at_says():
    signer = DeviceSigner()
    block = signer.block("checkin", META, {"selfie": b"jpeg"})
    sent = {**META, "sent_at": "2026-11-30T09:00:00Z"}
    assert content(block, sent, {"selfie": b"jpeg"}) is None
    # The server's key check, as WebCrypto signs (raw r || s).
    key = signing.load_public_key(signer.spki)
    assert signing.verify(key, block["signed"].encode(), block["sig"])


def test_edited_content_is_signature_invalid():
    signer = DeviceSigner()
    block = signer.block("checkin", META, {"selfie": b"jpeg"})
    moved = content(block, {**META, "lat": -7.2}, {"selfie": b"jpeg"})
    assert moved is not None and moved.code == "signature_invalid"
    assert "data catatan" in moved.message
    photo = content(block, META, {"selfie": b"another"})
    assert photo is not None and "berkas" in photo.message
    renumbered = content({**block, "seq": 9}, META, {"selfie": b"jpeg"})
    assert renumbered is not None and renumbered.code == "signature_invalid"
    other_kind = chain.content_problem(
        ChainBlock(**block),
        chain.decode_signed(ChainBlock(**block)),  # type: ignore[arg-type]
        kind="permit",
        meta=META,
        files={"selfie": b"jpeg"},
    )
    assert other_kind is not None


def test_a_signature_by_another_key_does_not_verify():
    signer = DeviceSigner()
    forged = signer.block("checkin", META, {}, key=ec.generate_private_key(ec.SECP256R1()))
    key = signing.load_public_key(signer.spki)
    assert not signing.verify(key, forged["signed"].encode(), forged["sig"])


def test_an_unreadable_block_is_none_never_an_error():
    assert chain.decode_block(b"{not json") is None
    assert chain.decode_block(json.dumps({"device": "x", "seq": 0})) is None


def test_an_unknown_another_s_or_revoked_device_is_unregistered():
    assert chain.device_problem(None, 7).code == "device_unregistered"  # type: ignore[union-attr]
    other = chain.device_problem({"employee": 8, "revoked_at": None}, 7)
    assert other is not None and "pegawai lain" in other.message
    revoked = chain.device_problem({"employee": 7, "revoked_at": dt.datetime.now(dt.UTC)}, 7)
    assert revoked is not None and "dicabut" in revoked.message
    assert chain.device_problem({"employee": 7, "revoked_at": None}, 7) is None


def test_the_block_keeps_its_wire_shape():
    signer = DeviceSigner()
    block = msgspec.json.decode(json.dumps(signer.block("permit", META, {})), type=ChainBlock)
    assert block.seq == 1 and block.prev == "" and len(block.hash) == 64


def test_a_chain_reason_sends_a_check_in_to_review():
    good = [Reason("inside_fence", "Di dalam area"), Reason("face_match", "Wajah cocok")]
    assert final_status(good) == "accepted"
    for code in sorted(chain.CODES):
        assert final_status([*good, Reason(code, "…")]) == "flagged"
