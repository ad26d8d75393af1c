"""A Python twin of the PWA's device key and outbox chain (pwa/src/devicekey.js,
pwa/src/outbox/chain.js): ECDSA P-256 with SHA-256, signatures as raw r || s in base64, as
WebCrypto makes them; the same signed string and chain block."""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature


def raw_signature(key: ec.EllipticCurvePrivateKey, data: bytes) -> str:
    r, s = decode_dss_signature(key.sign(data, ec.ECDSA(hashes.SHA256())))
    return base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode()


class DeviceSigner:
    """One device key and its chain: `block(...)` makes the next link, as `enqueue` does."""

    def __init__(self) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self.spki = base64.b64encode(der).decode()
        self.fingerprint = hashlib.sha256(der).hexdigest()
        self.seq = 0
        self.prev = ""

    def block(
        self,
        kind: str,
        meta: dict[str, Any],
        files: dict[str, bytes],
        *,
        seq: int | None = None,
        prev: str | None = None,
        key: ec.EllipticCurvePrivateKey | None = None,
    ) -> dict[str, Any]:
        """The chain block of the next record (or of number `seq` after `prev`, to forge)."""
        number = self.seq + 1 if seq is None else seq
        previous = self.prev if prev is None else prev
        signed = json.dumps(
            {
                "v": 1,
                "device": self.fingerprint,
                "seq": number,
                "prev": previous,
                "kind": kind,
                "meta": {k: v for k, v in meta.items() if k != "sent_at"},
                "files": {name: hashlib.sha256(data).hexdigest() for name, data in files.items()},
            },
            separators=(",", ":"),
        )
        digest = hashlib.sha256(signed.encode()).hexdigest()
        if seq is None:
            self.seq, self.prev = number, digest
        return {
            "device": self.fingerprint,
            "seq": number,
            "prev": previous,
            "hash": digest,
            "sig": raw_signature(key or self.key, signed.encode()),
            "signed": signed,
        }


def chain_part(block: dict[str, Any]) -> tuple[str, bytes, str]:
    return ("chain.json", json.dumps(block).encode(), "application/json")
