"""Where connectors may connect: link-local never, private ranges only when allowed."""

from __future__ import annotations

import ipaddress

import pytest

from dlv.connectors import NetworkPolicy, StepError, blocked_reason, resolve_allowed

OPEN = NetworkPolicy()
STRICT = NetworkPolicy(block_private_networks=True)


@pytest.mark.parametrize("address", ["169.254.169.254", "169.254.0.1", "fe80::1", "::ffff:169.254.169.254"])
def test_link_local_addresses_are_always_blocked(address: str) -> None:
    assert "link-local" in (blocked_reason(ipaddress.ip_address(address), OPEN) or "")


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "::1", "fd00::1", "0.0.0.0"])
def test_private_addresses_are_allowed_by_default_and_blocked_when_asked(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address), OPEN) is None
    assert "DLV_BLOCK_PRIVATE_NETWORKS" in (blocked_reason(ipaddress.ip_address(address), STRICT) or "")


def test_public_addresses_are_allowed_by_both_policies() -> None:
    assert blocked_reason(ipaddress.ip_address("93.184.216.34"), STRICT) is None


async def test_resolving_checks_every_address_of_the_host() -> None:
    assert await resolve_allowed("127.0.0.1", 80, OPEN) == ["127.0.0.1"]
    with pytest.raises(StepError, match=r"refusing to connect to 169\.254\.169\.254: it is a link-local"):
        await resolve_allowed("169.254.169.254", 80, OPEN)
    with pytest.raises(StepError, match=r"refusing to connect to localhost \((127\.0\.0\.1|::1)\)"):
        await resolve_allowed("localhost", 80, NetworkPolicy(block_private_networks=True))
