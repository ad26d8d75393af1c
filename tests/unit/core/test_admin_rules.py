"""The admin screens' plain rules: which token a request carries, what an employee edit may
change, and the same-origin check of writes over HTTPS."""

from __future__ import annotations

import pytest
from starlette.requests import Request

from backend.admin_screens import _check_employee
from backend.core.admin import COOKIE, Refused, SameOriginCSRF, _token_of
from backend.core.auth import Principal
from backend.core.errors import Invalid

ME = Principal(
    employee_id=7, nip="198909112015031001", name="Eko", roles=("asn", "admin"), unit_id=1
)


def scope(*headers: tuple[bytes, bytes]) -> dict:
    return {"type": "http", "headers": list(headers)}


def test_the_token_comes_from_the_bearer_header_or_the_admin_cookie() -> None:
    assert _token_of(scope((b"authorization", b"Bearer abc"))) == "abc"
    assert _token_of(scope((b"cookie", f"csrftoken=x; {COOKIE}=def".encode()))) == "def"
    assert _token_of(scope((b"cookie", b"csrftoken=x"))) == ""
    assert _token_of(scope((b"authorization", b"Basic abc"))) == ""
    assert _token_of(scope()) == ""


@pytest.mark.parametrize(
    ("values", "words"),
    [
        ({"roles": ["asn", "raja"]}, "peran 'raja' tidak dikenal"),
        ({"roles": ["bkd"]}, "setiap pegawai berperan 'asn'"),
        ({"roles": "admin"}, "daftar peran"),
    ],
)
def test_roles_are_known_and_include_asn(values: dict, words: str) -> None:
    with pytest.raises(Refused, match=words):
        _check_employee(ME, {"id": 8}, values)


def test_a_nip_is_checked_part_by_part() -> None:
    with pytest.raises(Invalid, match="18 angka"):
        _check_employee(ME, None, {"nip": "1234"})
    _check_employee(ME, None, {"nip": "199001012015031001", "roles": ["asn"]})


def test_an_admin_cannot_switch_themselves_off_or_drop_admin() -> None:
    with pytest.raises(Refused, match="akun sendiri"):
        _check_employee(ME, {"id": 7}, {"active": False})
    with pytest.raises(Refused, match="akun sendiri"):
        _check_employee(ME, {"id": 7}, {"roles": ["asn"]})
    _check_employee(ME, {"id": 7}, {"name": "Eko S."})
    _check_employee(ME, {"id": 8}, {"active": False})


def request_with(**headers: str) -> Request:
    return Request(
        {
            "type": "http",
            "method": "POST",
            "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        }
    )


def test_writes_over_https_must_come_from_the_same_host() -> None:
    csrf = SameOriginCSRF(app=None, allowed_hosts=[])
    assert csrf.is_valid_referer(request_with(host="hadir.test", origin="https://hadir.test"))
    assert csrf.is_valid_referer(
        request_with(host="hadir.test:8443", referer="https://hadir.test:8443/admin/")
    )
    assert not csrf.is_valid_referer(request_with(host="hadir.test", origin="https://evil.test"))
    assert not csrf.is_valid_referer(request_with(host="hadir.test"))
