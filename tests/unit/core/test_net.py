"""Which push endpoints the server may call: public https addresses, or listed origins."""

from __future__ import annotations

import ipaddress

import pytest

from backend.core.net import HostNotFound, UnsafeUrl, check_public_url, is_public, origin_of
from backend.core.settings import Settings

NOT_PUBLIC = [
    "127.0.0.1",
    "127.1.2.3",
    "10.0.0.5",
    "172.16.0.1",
    "192.168.1.1",
    "169.254.169.254",  # cloud metadata
    "100.64.0.1",  # carrier-grade NAT
    "0.0.0.0",
    "224.0.0.1",  # multicast
    "239.255.255.250",
    "240.0.0.1",  # reserved
    "255.255.255.255",
    "::1",
    "::",
    "fe80::1",
    "fc00::1",
    "fd12:3456::1",
    "ff02::1",
    "::ffff:127.0.0.1",  # IPv4-mapped
    "::ffff:169.254.169.254",
    "2002:7f00:1::1",  # 6to4 of 127.0.0.1
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "2001:db8::1",  # documentation
]
PUBLIC = ["8.8.8.8", "142.250.4.95", "2606:4700:4700::1111", "2404:6800:4003:c00::5f"]


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_private_and_special_addresses_are_not_public(address: str) -> None:
    assert not is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are(address: str) -> None:
    assert is_public(ipaddress.ip_address(address))


def resolver(table: dict[str, list[str]]):
    def resolve(host: str, port: int) -> list[str]:
        if host not in table:
            raise OSError("Name or service not known")
        return table[host]

    return resolve


NAMES = resolver(
    {
        "fcm.googleapis.com": ["142.250.4.95", "2404:6800:4003:c00::5f"],
        "evil.example": ["127.0.0.1"],
        "metadata.example": ["169.254.169.254"],
        "split.example": ["8.8.8.8", "10.0.0.1"],
        "v6local.example": ["::1"],
    }
)


def test_a_public_https_endpoint_passes() -> None:
    check_public_url("https://fcm.googleapis.com/fcm/send/abc", resolver=NAMES)
    check_public_url("https://8.8.8.8/push/abc", resolver=NAMES)
    check_public_url("https://[2606:4700:4700::1111]/push", resolver=NAMES)


@pytest.mark.parametrize(
    "url",
    [
        "http://fcm.googleapis.com/fcm/send/abc",  # not https
        "ftp://fcm.googleapis.com/x",
        "https://127.0.0.1/x",
        "https://[::1]/x",
        "https://[::ffff:7f00:1]/x",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.1.2.3:6379/",
        "https://evil.example/x",  # a name resolving to loopback
        "https://metadata.example/x",
        "https://split.example/x",  # one private address among public ones is enough
        "https://v6local.example/x",
        "https://nowhere.example/x",  # does not resolve
        "https://user:pw@fcm.googleapis.com/x",
        "https:///x",
        "https://fcm.googleapis.com:99999/x",
        "http://127.0.0.1:8123/push/abc",  # local, and not listed
    ],
)
def test_other_endpoints_are_refused(url: str) -> None:
    with pytest.raises(UnsafeUrl):
        check_public_url(url, resolver=NAMES)


def test_listed_origins_pass_whatever_their_address() -> None:
    allowed = Settings(
        push_allowed_origins="http://127.0.0.1:8123, https://push.pemda.local"
    ).push_origins
    check_public_url("http://127.0.0.1:8123/push/abc", allowed_origins=allowed, resolver=NAMES)
    check_public_url("https://PUSH.pemda.local:443/x", allowed_origins=allowed, resolver=NAMES)
    for url in ("http://127.0.0.1:8124/push/abc", "https://127.0.0.1:8123/push/abc"):
        with pytest.raises(UnsafeUrl):
            check_public_url(url, allowed_origins=allowed, resolver=NAMES)


def test_origins_are_normalised() -> None:
    assert origin_of("HTTPS://Push.Example.com/a/b") == "https://push.example.com:443"
    assert origin_of("http://[::1]:8080/") == "http://[::1]:8080"
    assert Settings().push_origins == frozenset()
    assert Settings.from_env(
        {"HADIR_PUSH_ALLOWED_ORIGINS": "http://127.0.0.1:8123,http://localhost:9"}
    ).push_origins == {"http://127.0.0.1:8123", "http://localhost:9"}


def test_a_name_that_does_not_resolve_is_told_apart_from_a_private_one() -> None:
    # At send time a DNS hiccup is a failed try, retried; only a refusal drops a subscription.
    with pytest.raises(HostNotFound):
        check_public_url("https://push.invalid/abc", resolver=NAMES)
    with pytest.raises(UnsafeUrl) as refused:
        check_public_url("https://127.0.0.1/abc", resolver=NAMES)
    assert not isinstance(refused.value, HostNotFound)
