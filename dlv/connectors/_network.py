"""Where a connector may connect, and the first two steps of most tests: check the
address, then open a TCP connection to that same address.

Always refused, whatever the settings: link-local targets (169.254.0.0/16, fe80::/10) and
the cloud metadata services (169.254.169.254, AWS's fd00:ec2::254, Alibaba's
100.100.100.200, Azure's 168.63.129.16, ...): a "test connection" button must not become a
way to read the server's cloud credentials. IPv6 forms that carry an IPv4 address
(IPv4-mapped and -compatible, NAT64, 6to4, Teredo) are judged by that IPv4 address too.
Private ranges are refused as well when the operator sets ``DLV_BLOCK_PRIVATE_NETWORKS``
(off by default: most databases worth cataloguing live on private addresses).

The name is resolved once: the connection goes to the address that was checked, so a DNS
answer that changes between the check and the connection (DNS rebinding) cannot steer it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import msgspec

from dlv.connectors._checklist import Checklist, StepError, describe_error

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(text)
    for text in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle, ...
        "169.254.170.2",  # AWS ECS task credentials
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "168.63.129.16",  # Azure WireServer
        "192.0.0.192",  # Oracle Cloud (classic)
    )
)
NAT64_PREFIXES = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
IPV4_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")


class NetworkPolicy(msgspec.Struct, frozen=True):
    block_private_networks: bool = False


def _low_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address:
    return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)


def embedded_ipv4(address: IPAddress) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries (and through which it may reach them)."""
    if not isinstance(address, ipaddress.IPv6Address):
        return []
    found = [candidate for candidate in (address.ipv4_mapped, address.sixtofour) if candidate is not None]
    if address.teredo is not None:
        found.extend(address.teredo)  # (server, client): the client is where the traffic goes
    if any(address in prefix for prefix in (*NAT64_PREFIXES, IPV4_TRANSLATED)):
        found.append(_low_ipv4(address))
    elif address in IPV4_COMPATIBLE and int(address) > 1:  # ::a.b.c.d, but not :: or ::1
        found.append(_low_ipv4(address))
    return found


def _own_reason(address: IPAddress, policy: NetworkPolicy) -> str | None:
    if address.is_link_local:
        return "a link-local address (such as the cloud metadata service), which DLV never connects to"
    if address in METADATA_ADDRESSES:
        return "a cloud metadata service address, which DLV never connects to"
    if policy.block_private_networks and (
        address.is_private or address.is_loopback or address.is_unspecified or address.is_reserved or address.is_multicast
    ):
        return "a private or loopback address and DLV_BLOCK_PRIVATE_NETWORKS is on"
    return None


def blocked_reason(address: IPAddress, policy: NetworkPolicy) -> str | None:
    """Why DLV refuses to connect to ``address``, or None when it may."""
    carried = embedded_ipv4(address)
    # A translation prefix (NAT64, 6to4) counts as "private" in Python's tables whatever it
    # carries: with one, the carried IPv4 address decides whether the network is private.
    own_policy = NetworkPolicy() if carried else policy
    for candidate, rules in ((address, own_policy), *((ipv4, policy) for ipv4 in carried)):
        reason = _own_reason(candidate, rules)
        if reason is not None:
            return f"it is {reason}" if candidate == address else f"it carries the IPv4 address {candidate}, {reason}"
    return None


async def resolve_allowed(host: str, port: int, policy: NetworkPolicy) -> list[str]:
    """Resolve ``host`` (without blocking the event loop) and refuse it if any address is blocked."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = list(dict.fromkeys(str(info[4][0]) for info in infos))
    for text in addresses:
        reason = blocked_reason(ipaddress.ip_address(text.split("%", 1)[0]), policy)
        if reason:
            shown = host if host == text else f"{host} ({text})"
            raise StepError(f"refusing to connect to {shown}: {reason}")
    return addresses


async def open_tcp(addresses: list[str], port: int) -> str:
    """Open (and close) a TCP connection to the first of ``addresses`` that accepts one; its address."""
    error: OSError | None = None
    for address in addresses:
        try:
            _, writer = await asyncio.open_connection(address, port)
        except OSError as exc:
            error = exc
            continue
        writer.close()
        try:
            await asyncio.wait_for(writer.wait_closed(), 1)
        except (OSError, TimeoutError):
            pass  # the probe already proved the port answers
        return address
    assert error is not None  # resolve_allowed never returns an empty list
    raise error


def endpoint(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def reach(checks: Checklist, host: str, port: int, policy: NetworkPolicy) -> str:
    """Steps "check address" and "connect": the host is allowed and its port accepts TCP.
    Returns the checked address that answered: connect to it, not to ``host`` again."""
    target = endpoint(host, port)
    addresses = await checks.step(
        "check address",
        lambda: resolve_allowed(host, port, policy),
        success=lambda addresses: f"{host} resolves to {', '.join(addresses)}",
        describe=lambda exc: describe_error(exc, host),
    )
    return await checks.step(
        "connect",
        lambda: open_tcp(addresses, port),
        success=f"TCP connection to {target} opened",
        describe=lambda exc: describe_error(exc, target),
    )
