"""The address that was checked is the address connected to: a name whose DNS answer changes
between the check and the connection (DNS rebinding) cannot steer a test connection.

Nothing here leaves the machine: the peers listen on 127.0.0.1 and the changing DNS answer
comes from a stand-in resolver (a mock of the system's DNS, which a test cannot reprogram),
whose second answer is an unused loopback address."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from dlv.connectors import CheckContext, NetworkPolicy
from dlv.connectors.api import ApiNodeType
from tests.services.peers import HttpPeer

REBINDING_NAME = "rebinding.dlv.test"
CHECKED, REBOUND = "127.0.0.1", "127.0.0.3"


@pytest.fixture
def http_peer() -> Iterator[HttpPeer]:
    with HttpPeer() as peer:
        yield peer


@pytest.fixture
async def rebinding_dns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Answers REBINDING_NAME with CHECKED the first time and REBOUND afterwards; records each lookup."""
    loop = asyncio.get_running_loop()
    real = loop.getaddrinfo
    lookups: list[str] = []

    async def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else host
        if name != REBINDING_NAME:
            return await real(host, port, *args, **kwargs)
        lookups.append(name)
        answer = CHECKED if len(lookups) == 1 else REBOUND
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (answer, int(port or 0)))]

    monkeypatch.setattr(loop, "getaddrinfo", getaddrinfo)
    return lookups


async def test_the_health_request_goes_to_the_checked_address_under_the_original_name(http_peer: HttpPeer, rebinding_dns: list[str]) -> None:
    config = ApiNodeType().parse({"base_url": f"http://{REBINDING_NAME}:{http_peer.port}", "health_path": "/ok", "timeout_seconds": 5})

    report = await ApiNodeType().test_connection(config, CheckContext(network=NetworkPolicy()))

    assert report.status == "ok", report
    assert rebinding_dns == [REBINDING_NAME]  # resolved once, by the address check
    path, headers = http_peer.requests[-1]
    assert path == "/ok" and headers["Host"] == f"{REBINDING_NAME}:{http_peer.port}"


async def test_a_name_that_rebinds_to_a_blocked_address_is_never_contacted_there(http_peer: HttpPeer, rebinding_dns: list[str]) -> None:
    # Second answer irrelevant: the only lookup is the checked one; with the private-network
    # policy on, that first answer (loopback) is refused before any connection.
    config = ApiNodeType().parse({"base_url": f"http://{REBINDING_NAME}:{http_peer.port}", "health_path": "/ok", "timeout_seconds": 5})
    before = len(http_peer.requests)

    report = await ApiNodeType().test_connection(config, CheckContext(network=NetworkPolicy(block_private_networks=True)))

    assert report.status == "error" and [step.name for step in report.steps] == ["check address"]
    assert len(http_peer.requests) == before and rebinding_dns == [REBINDING_NAME]
