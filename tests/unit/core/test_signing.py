import base64

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from backend.core import signing


def webcrypto_like() -> tuple[ec.EllipticCurvePrivateKey, str]:
    private = ec.generate_private_key(ec.SECP256R1())
    spki = private.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    return private, base64.b64encode(spki).decode()


def raw_signature(private: ec.EllipticCurvePrivateKey, data: bytes) -> str:
    r, s = decode_dss_signature(private.sign(data, ec.ECDSA(hashes.SHA256())))
    return base64.b64encode(r.to_bytes(32, "big") + s.to_bytes(32, "big")).decode()


def test_a_raw_webcrypto_signature_verifies_and_an_edit_does_not() -> None:
    private, spki = webcrypto_like()
    key = signing.load_public_key(spki)
    signature = raw_signature(private, b"record")
    assert signing.verify(key, b"record", signature)
    assert not signing.verify(key, b"recorD", signature)
    assert not signing.verify(key, b"record", "bm90IGEgc2lnbmF0dXJl")
    assert not signing.verify(key, b"record", "%%%")


def test_keys_that_are_not_p256_spki_are_refused_in_words() -> None:
    with pytest.raises(signing.BadKey, match="SPKI"):
        signing.load_public_key("bm90IGEga2V5")
    other = ec.generate_private_key(ec.SECP384R1()).public_key()
    spki = other.public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    with pytest.raises(signing.BadKey, match="P-256"):
        signing.load_public_key(base64.b64encode(spki).decode())
