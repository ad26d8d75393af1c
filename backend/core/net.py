"""URLs the server is asked to call on someone's behalf (push endpoints): public addresses only.

Any ASN can register a push subscription, and the server then POSTs to its endpoint. Without this
check that is a way to make the server reach loopback, Redis, the database or a cloud metadata
address (server-side request forgery). An endpoint must be `https` on a host whose every address
is public, or have an origin an operator listed (`push_allowed_origins`, e.g. a push service on
the intranet or the tests' local endpoint).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Collection, Iterable
from urllib.parse import urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Iterable[str]]

DEFAULT_PORTS = {"http": 80, "https": 443}
# NAT64 (RFC 6052) embeds an IPv4 address in its last 32 bits.
NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


class UnsafeUrl(Exception):
    """An outbound URL refused, with the reason in words the PWA can show."""


class HostNotFound(UnsafeUrl):
    """The name did not resolve (now): at subscription a refusal, at send time a failed try
    (a DNS hiccup must not cost a browser its subscription)."""


def origin_of(url: str) -> str:
    """`scheme://host:port`, lower-cased, with the default port written out."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    try:
        port = parts.port or DEFAULT_PORTS.get(scheme, 0)
    except ValueError:  # a port out of range or not a number
        port = 0
    shown = f"[{host}]" if ":" in host else host
    return f"{scheme}://{shown}:{port}"


def is_public(address: IPAddress) -> bool:
    """Whether an address is reachable on the public internet and nothing else: not private,
    loopback, link-local (cloud metadata lives at 169.254.169.254), multicast, reserved,
    unspecified or shared (CGNAT), including IPv4 hidden inside IPv6 (mapped, 6to4, NAT64)."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and not is_public(embedded):
            return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def resolve(host: str, port: int) -> list[str]:
    """Every address `host` resolves to (blocking: call it in a thread)."""
    return [info[4][0] for info in socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)]


def check_public_url(
    url: str, *, allowed_origins: Collection[str] = (), resolver: Resolver = resolve
) -> None:
    """Raise UnsafeUrl unless `url` is an allowed origin or `https` on public addresses only.

    Blocking (DNS): call it in a thread. Every address counts, so a name that resolves to one
    public and one private address is refused.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or DEFAULT_PORTS.get(parts.scheme.lower(), 0)
    except ValueError:
        raise UnsafeUrl("alamatnya bukan URL yang sah") from None
    if not host or parts.username is not None or parts.password is not None:
        raise UnsafeUrl("alamatnya bukan URL yang sah")
    if origin_of(url) in allowed_origins:
        return
    if parts.scheme.lower() != "https":
        raise UnsafeUrl("alamatnya harus berupa URL https")
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolver(host, port)]
        except (OSError, UnicodeError, ValueError):
            raise HostNotFound(f"nama host {host} tidak ditemukan") from None
    if not addresses:
        raise HostNotFound(f"nama host {host} tidak ditemukan")
    if not all(is_public(address) for address in addresses):
        raise UnsafeUrl("alamatnya menunjuk ke jaringan lokal atau alamat khusus")
