"""The address of the client behind a request. `X-Forwarded-For` is believed only when the
direct peer is a configured trusted proxy (`settings.trusted_proxies`); anyone else could write
any address there and escape a per-client limit."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from functools import lru_cache

from starlette.requests import HTTPConnection

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=32)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: HTTPConnection, trusted_proxies: Iterable[str]) -> str:
    """The peer address, or, when the peer is a trusted proxy, the nearest address in
    `X-Forwarded-For` (read right to left) that is not itself a trusted proxy."""
    peer = request.client.host if request.client else "unknown"
    networks = _networks(tuple(trusted_proxies))
    if not networks or not _trusted(peer, networks):
        return peer
    hops = [h.strip() for v in request.headers.getlist("x-forwarded-for") for h in v.split(",")]
    address = peer
    for hop in reversed([h for h in hops if h]):
        try:
            ipaddress.ip_address(hop)
        except ValueError:
            break  # garbage written by someone: keep the last address a proxy vouched for
        address = hop
        if not _trusted(hop, networks):
            break
    return address
