"""Where a connector may connect, and the first two steps of most tests: check the
address, then open a TCP connection.

Link-local targets (169.254.0.0/16, fe80::/10; the cloud metadata service lives at
169.254.169.254) are always refused: a "test connection" button must not become a way to
read the server's cloud credentials. Private ranges are refused too when the operator
sets ``DLV_BLOCK_PRIVATE_NETWORKS`` (off by default: most databases worth cataloguing live
on private addresses).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket

import msgspec

from dlv.connectors._checklist import Checklist, StepError, describe_error

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class NetworkPolicy(msgspec.Struct, frozen=True):
    block_private_networks: bool = False


def blocked_reason(address: IPAddress, policy: NetworkPolicy) -> str | None:
    """Why DLV refuses to connect to ``address``, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_link_local:
        return "it is a link-local address (such as the cloud metadata service), which DLV never connects to"
    if policy.block_private_networks and (
        address.is_private or address.is_loopback or address.is_unspecified or address.is_reserved
    ):
        return "it is a private or loopback address and DLV_BLOCK_PRIVATE_NETWORKS is on"
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


async def open_tcp(host: str, port: int) -> None:
    _, writer = await asyncio.open_connection(host, port)
    writer.close()
    try:
        await asyncio.wait_for(writer.wait_closed(), 1)
    except (OSError, TimeoutError):
        pass  # the probe already proved the port answers


def endpoint(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


async def reach(checks: Checklist, host: str, port: int, policy: NetworkPolicy) -> None:
    """Steps "check address" and "connect": the host is allowed and its port accepts TCP."""
    target = endpoint(host, port)
    await checks.step(
        "check address",
        lambda: resolve_allowed(host, port, policy),
        success=lambda addresses: f"{host} resolves to {', '.join(addresses)}",
        describe=lambda exc: describe_error(exc, host),
    )
    await checks.step(
        "connect",
        lambda: open_tcp(host, port),
        success=f"TCP connection to {target} opened",
        describe=lambda exc: describe_error(exc, target),
    )
