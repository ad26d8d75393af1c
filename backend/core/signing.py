"""Device signatures: the one way hadir checks what a phone, a head of unit's device or a kiosk
signed with its device key.

A device key is made in the browser with WebCrypto (ECDSA P-256, non-extractable: the private
half never leaves the device); its public half is registered as SubjectPublicKeyInfo (DER,
base64). WebCrypto signs with SHA-256 and returns the raw 64-byte `r || s` form, not DER.
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from cryptography.hazmat.primitives.serialization import load_der_public_key

SIGNATURE_BYTES = 64  # P-256 r || s, as WebCrypto gives it
MAX_KEY_CHARS = 400  # a P-256 SPKI is 91 bytes, 124 characters in base64


class BadKey(ValueError):
    """A public key that is not a P-256 SPKI in base64 (the message says why, in Indonesian)."""


def load_public_key(spki_b64: str) -> ec.EllipticCurvePublicKey:
    if len(spki_b64) > MAX_KEY_CHARS:
        raise BadKey("Kunci publik perangkat terlalu panjang")
    try:
        key = load_der_public_key(base64.b64decode(spki_b64, validate=True))
    except (ValueError, binascii.Error) as error:
        raise BadKey("Kunci publik perangkat tidak dapat dibaca (harus SPKI base64)") from error
    if not isinstance(key, ec.EllipticCurvePublicKey) or key.curve.name != "secp256r1":
        raise BadKey("Kunci publik perangkat harus ECDSA P-256")
    return key


def key_fingerprint(spki_b64: str) -> str:
    """A short stable name for a public key (hex SHA-256 of its DER bytes)."""
    return hashlib.sha256(base64.b64decode(spki_b64)).hexdigest()


def verify(key: ec.EllipticCurvePublicKey, data: bytes, signature_b64: str) -> bool:
    """Whether `signature_b64` (raw r || s, base64, as WebCrypto makes it) signs `data`."""
    try:
        raw = base64.b64decode(signature_b64, validate=True)
    except (ValueError, binascii.Error):
        return False
    if len(raw) != SIGNATURE_BYTES:
        return False
    r = int.from_bytes(raw[:32], "big")
    s = int.from_bytes(raw[32:], "big")
    try:
        key.verify(encode_dss_signature(r, s), data, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
