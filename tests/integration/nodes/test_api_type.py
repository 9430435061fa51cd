"""The built-in ``api`` type against a real HTTP(S) server on loopback."""

from __future__ import annotations

import msgspec
from litestar.testing import AsyncTestClient

from dlv.app import create_app
from tests.integration.nodes.conftest import Client, api_config, failed_step, one_database, step_names, try_config
from tests.services.peers import closed_port

pytestmark = one_database


async def test_a_healthy_endpoint_is_ok_with_every_step_reported(client: Client, admin_headers, http_peer) -> None:
    report, _ = await try_config(client, admin_headers, "api", api_config(http_peer.url))

    assert report["status"] == "ok"
    assert step_names(report) == ["check address", "connect", "HTTP status", "latency"]
    assert all(step["passed"] for step in report["steps"])
    assert report["latency_ms"] > 0
    assert "returned 200" in report["message"]


async def test_an_unexpected_status_is_an_error_naming_both_codes(client: Client, admin_headers, http_peer) -> None:
    report, _ = await try_config(client, admin_headers, "api", api_config(http_peer.url, health_path="/fail"))

    assert report["status"] == "error"
    step = failed_step(report)
    assert step["name"] == "HTTP status"
    assert step["message"] == "GET /fail returned 500; expected 200"
    assert report["latency_ms"] is None


async def test_expected_status_codes_are_configurable(client: Client, admin_headers, http_peer) -> None:
    config = api_config(http_peer.url, health_path="/fail", expected_status=[200, 500])

    report, _ = await try_config(client, admin_headers, "api", config)

    assert report["status"] == "ok"


async def test_a_slow_endpoint_times_out_within_the_configured_timeout(client: Client, admin_headers, http_peer) -> None:
    report, elapsed = await try_config(
        client, admin_headers, "api", api_config(http_peer.url, health_path="/slow", timeout_seconds=0.5)
    )

    assert report["status"] == "error"
    assert failed_step(report) == {"name": "HTTP status", "passed": False, "message": "timed out after 0.5 s"}
    assert elapsed < 1.5


async def test_a_refused_port_says_connection_refused(client: Client, admin_headers) -> None:
    port = closed_port()
    report, _ = await try_config(client, admin_headers, "api", api_config(f"http://127.0.0.1:{port}"))

    assert failed_step(report) == {"name": "connect", "passed": False, "message": f"connection refused at 127.0.0.1:{port}"}


async def test_a_self_signed_certificate_fails_tls_when_verification_is_on(client: Client, admin_headers, https_peer) -> None:
    report, _ = await try_config(client, admin_headers, "api", api_config(https_peer.url))

    assert report["status"] == "error"
    step = failed_step(report)
    assert step["name"] == "TLS"
    assert "certificate verification failed" in step["message"] and "self-signed" in step["message"]


async def test_a_self_signed_certificate_is_accepted_when_verification_is_off(client: Client, admin_headers, https_peer) -> None:
    report, _ = await try_config(client, admin_headers, "api", api_config(https_peer.url, verify_tls=False))

    assert report["status"] == "ok", report
    assert step_names(report) == ["check address", "connect", "TLS", "HTTP status", "latency"]
    assert "not verified" in report["steps"][2]["message"]


async def test_the_cloud_metadata_address_is_never_contacted(client: Client, admin_headers) -> None:
    report, elapsed = await try_config(client, admin_headers, "api", api_config("http://169.254.169.254/latest/meta-data"))

    assert report["status"] == "error"
    assert step_names(report) == ["check address"]
    assert "link-local" in report["steps"][0]["message"] and "169.254.169.254" in report["steps"][0]["message"]
    assert elapsed < 1


async def test_ipv6_link_local_and_mapped_metadata_addresses_are_refused(client: Client, admin_headers) -> None:
    for url in ("http://[fe80::1]:8080/", "http://[::ffff:169.254.169.254]/"):
        report, _ = await try_config(client, admin_headers, "api", api_config(url))

        assert step_names(report) == ["check address"], url
        assert "link-local" in report["message"]


async def test_private_ranges_are_refused_when_the_setting_is_on(settings, admin_headers, http_peer) -> None:
    requests_before = len(http_peer.requests)
    strict = create_app(msgspec.structs.replace(settings, block_private_networks=True))
    async with AsyncTestClient(app=strict) as strict_client:
        report, _ = await try_config(strict_client, admin_headers, "api", api_config(http_peer.url))

    assert step_names(report) == ["check address"]
    assert "DLV_BLOCK_PRIVATE_NETWORKS" in report["message"]
    assert len(http_peer.requests) == requests_before


async def test_bearer_auth_sends_the_stored_token(client: Client, admin_headers, http_peer) -> None:
    http_peer.expect_token("api-token-for-auth-test")
    config = api_config(http_peer.url, health_path="/auth", auth={"type": "bearer", "token": "api-token-for-auth-test"})

    ok, _ = await try_config(client, admin_headers, "api", config)
    wrong, _ = await try_config(client, admin_headers, "api", config | {"auth": {"type": "bearer", "token": "nope"}})

    assert ok["status"] == "ok"
    assert wrong["status"] == "error" and "returned 401" in wrong["message"]
