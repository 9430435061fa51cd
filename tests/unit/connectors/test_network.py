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


@pytest.mark.parametrize(
    "address",
    [
        "fd00:ec2::254",  # AWS IMDS over IPv6: a private (ULA) address, allowed by default otherwise
        "100.100.100.200",  # Alibaba Cloud, in the shared 100.64/10 range
        "168.63.129.16",  # Azure WireServer, a public-looking address
        "169.254.170.2",
    ],
)
def test_cloud_metadata_addresses_are_always_blocked(address: str) -> None:
    reason = blocked_reason(ipaddress.ip_address(address), OPEN) or ""
    assert "metadata" in reason


@pytest.mark.parametrize(
    ("address", "carried"),
    [
        ("::169.254.169.254", "169.254.169.254"),  # IPv4-compatible
        ("::ffff:169.254.169.254", "169.254.169.254"),  # IPv4-mapped
        ("::ffff:0:a9fe:a9fe", "169.254.169.254"),  # IPv4-translated (SIIT)
        ("64:ff9b::a9fe:a9fe", "169.254.169.254"),  # NAT64, well-known prefix
        ("64:ff9b:1::a9fe:a9fe", "169.254.169.254"),  # NAT64, local-use prefix
        ("2002:a9fe:a9fe::", "169.254.169.254"),  # 6to4
        ("2001:0:4136:e378:8000:63bf:5601:5601", "169.254.169.254"),  # Teredo (client obfuscated)
        ("64:ff9b::6464:64c8", "100.100.100.200"),
    ],
)
def test_ipv6_forms_carrying_a_metadata_address_are_judged_by_it(address: str, carried: str) -> None:
    reason = blocked_reason(ipaddress.ip_address(address), OPEN) or ""
    assert f"carries the IPv4 address {carried}" in reason


@pytest.mark.parametrize("address", ["::127.0.0.1", "64:ff9b::7f00:1", "2002:a00:1::", "::ffff:10.0.0.1"])
def test_ipv6_forms_carrying_a_private_address_are_blocked_when_asked(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address), OPEN) is None
    assert "DLV_BLOCK_PRIVATE_NETWORKS" in (blocked_reason(ipaddress.ip_address(address), STRICT) or "")


@pytest.mark.parametrize("address", ["64:ff9b::808:808", "2002:808:808::", "2606:4700::1111"])
def test_ipv6_forms_carrying_a_public_address_are_allowed(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address), STRICT) is None
