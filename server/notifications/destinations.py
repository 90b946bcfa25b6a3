"""Where a webhook may send: to public addresses only, so that a site admin cannot make
the server post into its own network (the loopback, the cloud's metadata service, the
database next door) and read the answer in the delivery log.

The address is judged, never the spelling: a host is resolved (IP literals in every form a
resolver accepts, `2130706433`, `0x7f.1`, `[::ffff:127.0.0.1]`, are read here without a
resolver), every address it has must be allowed, and the request then goes to one of
those very addresses, with the name in the Host header and in TLS (SNI and the
certificate check), so that DNS cannot answer differently between the check and the
connection. The check is made when a webhook is saved and again on every attempt.

A deployment with a receiver inside the school's network lists that network in
ROUNDKEEPER_WEBHOOK_ALLOW_PRIVATE; the unspecified address and multicast are refused
even then, since neither is a receiver.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address, ip_network

import httpx

IPAddress = IPv4Address | IPv6Address
IPNetwork = IPv4Network | IPv6Network

ALLOW_PRIVATE_SETTING = "ROUNDKEEPER_WEBHOOK_ALLOW_PRIVATE"

# What `ipaddress` does not call non-global in Python 3.11, or not for every address in
# it, named so that the answer does not depend on the Python release.
NOT_PUBLIC_V4 = tuple(
    IPv4Network(n)
    for n in (
        "0.0.0.0/8",  # this network
        "10.0.0.0/8",
        "100.64.0.0/10",  # carrier-grade NAT
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, the cloud metadata service
        "172.16.0.0/12",
        "192.0.0.0/24",  # IETF protocol assignments
        "192.0.2.0/24",  # documentation
        "192.88.99.0/24",  # 6to4 relays (deprecated)
        "192.168.0.0/16",
        "198.18.0.0/15",  # benchmarking
        "198.51.100.0/24",  # documentation
        "203.0.113.0/24",  # documentation
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and the broadcast address
    )
)
NOT_PUBLIC_V6 = tuple(
    IPv6Network(n)
    for n in (
        "::/8",  # unspecified, loopback, IPv4-compatible
        "64:ff9b:1::/48",  # local-use NAT64
        "100::/64",  # discard
        "2001::/23",  # IETF protocol assignments, Teredo among them
        "2001:db8::/32",  # documentation
        "3fff::/20",  # documentation
        "5f00::/16",  # segment routing
        "fc00::/7",  # unique local
        "fe80::/10",  # link-local
        "fec0::/10",  # site-local (deprecated)
        "ff00::/8",  # multicast
    )
)
NAT64 = IPv6Network("64:ff9b::/96")
"""The well-known NAT64 prefix: a gateway sends these on to the IPv4 address inside."""

LOCALHOST = "localhost"
LOCALHOST_ADDRESSES: tuple[IPAddress, ...] = (IPv4Address("127.0.0.1"), IPv6Address("::1"))
RESOLVE_TIMEOUT_S = 5.0


class DestinationRefused(Exception):
    """The URL's host is, or resolves to, an address webhooks may not reach."""


class DestinationUnresolvable(Exception):
    """The URL's host has no address (or a malformed one)."""


@dataclass(frozen=True)
class Pinned:
    """A request to one checked address that still names the host."""

    url: httpx.URL
    headers: dict[str, str]
    extensions: dict[str, str]


def allowed_networks(cidrs: Iterable[str]) -> tuple[IPNetwork, ...]:
    """The networks of ROUNDKEEPER_WEBHOOK_ALLOW_PRIVATE (Settings has checked them)."""
    return tuple(ip_network(cidr) for cidr in cidrs)


def canonical(address: IPAddress) -> IPAddress:
    """An IPv4-mapped IPv6 address (::ffff:10.0.0.1) is the IPv4 address it carries: a
    dual-stack socket connects to that."""
    if isinstance(address, IPv6Address):
        if address.ipv4_mapped is not None:
            return address.ipv4_mapped
        if address.scope_id:
            return IPv6Address(str(address).split("%", 1)[0])
    return address


def is_public(address: IPAddress) -> bool:
    """Globally routable unicast: not private, loopback, link-local, unique-local,
    multicast, reserved, unspecified, CGNAT, documentation, benchmarking, nor an IPv6
    address that carries a non-public IPv4 one (mapped, 6to4, NAT64)."""
    address = canonical(address)
    if isinstance(address, IPv6Address):
        if address in NAT64:
            return is_public(IPv4Address(int(address) & 0xFFFFFFFF))
        if address.sixtofour is not None and not is_public(address.sixtofour):
            return False
        if address.is_site_local or any(address in net for net in NOT_PUBLIC_V6):
            return False
    elif any(address in net for net in NOT_PUBLIC_V4):
        return False
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def permitted(address: IPAddress, allowed: Sequence[IPNetwork] = ()) -> bool:
    """Public, or inside a network the deployment allows."""
    address = canonical(address)
    if address.is_unspecified or address.is_multicast:
        return False
    if is_public(address):
        return True
    return any(address.version == net.version and address in net for net in allowed)


def literal_address(host: str) -> IPAddress | None:
    """The address a host spells directly, in any form a resolver would read as one:
    IPv6 (a zone is dropped), dotted quads, and the forms of inet_aton (`2130706433`,
    `0x7f.1`, `0177.0.0.1`, `127.1`). None for a name. A host that ends in a number but
    is no address raises DestinationUnresolvable."""
    if ":" in host:
        try:
            return ip_address(host.split("%", 1)[0])
        except ValueError:
            raise DestinationUnresolvable(f"{host} is not an IPv6 address") from None
    name = host[:-1] if host.endswith(".") else host
    labels = name.split(".")
    if not labels or not _number(labels[-1]):
        return None
    try:
        numbers = [_parse_number(label) for label in labels]
    except ValueError:
        numbers = []
    if not 1 <= len(numbers) <= 4 or any(n > 255 for n in numbers[:-1]):
        raise DestinationUnresolvable(f"{host} is not an IPv4 address")
    last_bits = 8 * (5 - len(numbers))
    if numbers[-1] >= 1 << last_bits:
        raise DestinationUnresolvable(f"{host} is not an IPv4 address")
    value = numbers[-1]
    for position, number in enumerate(numbers[:-1]):
        value |= number << (24 - 8 * position)
    return IPv4Address(value)


def _number(label: str) -> bool:
    lowered = label.lower()
    if lowered.startswith("0x"):
        return all(c in "0123456789abcdef" for c in lowered[2:])
    return label.isdigit()


def _parse_number(label: str) -> int:
    if not label:
        raise ValueError("empty label")
    if label.lower().startswith("0x"):
        return int(label[2:], 16) if len(label) > 2 else 0
    if len(label) > 1 and label.startswith("0"):
        return int(label, 8)
    if not label.isdigit():
        raise ValueError(label)
    return int(label)


def is_localhost(host: str) -> bool:
    """`localhost` and its subdomains are the loopback by definition (RFC 6761), whatever
    a resolver (or a DNS server asked for `localhost.`) says."""
    name = host.rstrip(".").lower()
    return name == LOCALHOST or name.endswith("." + LOCALHOST)


async def resolve(host: str) -> list[IPAddress]:
    """Every address the system's resolver gives `host`, in its order of preference. The
    one place a webhook's name is looked up (tests put a stand-in here)."""
    loop = asyncio.get_running_loop()
    try:
        found = await loop.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise DestinationUnresolvable(f"{host} could not be resolved ({exc})") from None
    addresses: list[IPAddress] = []
    for _family, _type, _proto, _canon, sockaddr in found:
        address = ip_address(str(sockaddr[0]).split("%", 1)[0])
        if address not in addresses:
            addresses.append(address)
    return addresses


async def checked_addresses(
    url: httpx.URL, allowed: Sequence[IPNetwork] = (), *, timeout_s: float = RESOLVE_TIMEOUT_S
) -> list[IPAddress]:
    """The addresses `url` may be sent to, every one of its host's checked; raises
    DestinationRefused when any is not permitted (a name with one private address among
    public ones could be steered to it) and DestinationUnresolvable when it has none.
    Refusals of a name do not say which address it has: that would map the internal
    network for whoever reads them."""
    host = url.raw_host.decode("ascii")
    literal = literal_address(host)
    if literal is not None:
        if "%" in host or not permitted(literal, allowed):
            raise DestinationRefused(f"{host} is not a public address")
        return [canonical(literal)]
    try:
        async with asyncio.timeout(timeout_s):
            addresses = list(LOCALHOST_ADDRESSES) if is_localhost(host) else await resolve(host)
    except TimeoutError:
        raise DestinationUnresolvable(
            f"{host} could not be resolved within {timeout_s:g} s"
        ) from None
    if not addresses:
        raise DestinationUnresolvable(f"{host} has no address")
    if not all(permitted(address, allowed) for address in addresses):
        raise DestinationRefused(f"{host} resolves to an address that is not public")
    return [canonical(address) for address in addresses]


def pinned(url: httpx.URL, address: IPAddress) -> Pinned:
    """`url` sent to `address`: the Host header and, for https, the TLS server name
    (SNI and the certificate's check) stay the URL's host. The connection is closed
    after the answer, so a pooled connection made for one name never carries another's
    request."""
    host = url.raw_host.decode("ascii")
    headers = {"Host": url.netloc.decode("ascii"), "Connection": "close"}
    extensions: dict[str, str] = {}
    if url.scheme == "https" and literal_address(host) is None:
        extensions["sni_hostname"] = host
    return Pinned(url=url.copy_with(host=str(address)), headers=headers, extensions=extensions)
