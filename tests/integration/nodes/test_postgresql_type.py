"""The built-in ``postgresql`` type against the session's real PostgreSQL, directly and
through an SSH tunnel served by a real asyncssh server."""

from __future__ import annotations

import asyncssh

from tests.integration.nodes.conftest import Client, failed_step, one_database, postgres_config, step_names, try_config
from tests.services.peers import closed_port

pytestmark = one_database


async def test_the_session_postgresql_is_ok_and_reports_its_version(client: Client, admin_headers, postgres_server) -> None:
    report, _ = await try_config(client, admin_headers, "postgresql", postgres_config(postgres_server))

    assert report["status"] == "ok", report
    assert step_names(report) == ["check address", "connect", "authenticate", "SELECT version()", "list schemas"]
    assert report["steps"][3]["message"].startswith("PostgreSQL ")
    assert "public" in report["steps"][4]["message"]
    assert report["message"].startswith("Connected to PostgreSQL ")


async def test_a_connection_string_works_like_the_separate_fields(client: Client, admin_headers, postgres_server) -> None:
    report, _ = await try_config(client, admin_headers, "postgresql", {"connection_string": postgres_server.url("postgres", "postgresql")})

    assert report["status"] == "ok", report


async def test_a_wrong_password_is_an_authentication_error_naming_the_user(client: Client, admin_headers, postgres_server) -> None:
    config = postgres_config(postgres_server, password="not-the-password")

    report, _ = await try_config(client, admin_headers, "postgresql", config)

    assert report["status"] == "error"
    step = failed_step(report)
    assert step["name"] == "authenticate"
    assert step["message"].startswith(f"authentication failed for user {postgres_server.user}")
    assert "not-the-password" not in str(report)


async def test_a_closed_port_is_refused_within_the_timeout(client: Client, admin_headers) -> None:
    port = closed_port()

    report, elapsed = await try_config(client, admin_headers, "postgresql", {"host": "127.0.0.1", "port": port, "user": "x", "connect_timeout": 2})

    assert failed_step(report) == {"name": "connect", "passed": False, "message": f"connection refused at 127.0.0.1:{port}"}
    assert elapsed < 2


async def test_a_server_that_never_answers_times_out_after_connect_timeout(client: Client, admin_headers, silent_port) -> None:
    config = {"host": "127.0.0.1", "port": silent_port, "user": "x", "password": "y", "connect_timeout": 1}

    report, elapsed = await try_config(client, admin_headers, "postgresql", config)

    assert failed_step(report) == {"name": "authenticate", "passed": False, "message": "timed out after 1 s"}
    assert 0.9 < elapsed < 2.5


def _tunnel(ssh_peer, **overrides) -> dict:
    return {"host": ssh_peer.host, "port": ssh_peer.port, "user": ssh_peer.user, "known_hosts": ssh_peer.known_hosts} | overrides


async def test_through_an_ssh_tunnel_with_a_password(client: Client, admin_headers, postgres_server, ssh_peer) -> None:
    config = postgres_config(postgres_server, ssh_tunnel=_tunnel(ssh_peer, password=ssh_peer.password))

    report, _ = await try_config(client, admin_headers, "postgresql", config)

    assert report["status"] == "ok", report
    assert step_names(report) == ["check address", "connect", "SSH login", "SSH tunnel", "authenticate", "SELECT version()", "list schemas"]
    assert (postgres_server.host, postgres_server.port) in ssh_peer.forwarded


async def test_through_an_ssh_tunnel_with_a_private_key(client: Client, admin_headers, postgres_server, ssh_peer) -> None:
    config = postgres_config(postgres_server, ssh_tunnel=_tunnel(ssh_peer, private_key=ssh_peer.client_private_key))

    report, _ = await try_config(client, admin_headers, "postgresql", config)

    assert report["status"] == "ok", report


async def test_a_wrong_bastion_password_fails_the_ssh_login(client: Client, admin_headers, postgres_server, ssh_peer) -> None:
    config = postgres_config(postgres_server, ssh_tunnel=_tunnel(ssh_peer, password="wrong-bastion-password"))

    report, _ = await try_config(client, admin_headers, "postgresql", config)

    step = failed_step(report)
    assert step["name"] == "SSH login"
    assert step["message"] == f"authentication failed for user {ssh_peer.user} at 127.0.0.1:{ssh_peer.port}"


async def test_an_untrusted_bastion_host_key_is_refused_unless_checking_is_off(client: Client, admin_headers, postgres_server, ssh_peer) -> None:
    impostor = asyncssh.generate_private_key("ssh-ed25519").export_public_key().decode().strip()
    other_key = f"[127.0.0.1]:{ssh_peer.port} {impostor}"
    untrusted = postgres_config(postgres_server, ssh_tunnel=_tunnel(ssh_peer, password=ssh_peer.password, known_hosts=other_key))
    unchecked = postgres_config(
        postgres_server, ssh_tunnel=_tunnel(ssh_peer, password=ssh_peer.password, known_hosts=None, verify_host_key=False)
    )

    refused, _ = await try_config(client, admin_headers, "postgresql", untrusted)
    accepted, _ = await try_config(client, admin_headers, "postgresql", unchecked)

    assert failed_step(refused)["name"] == "SSH login"
    assert "host key" in refused["message"] and "not trusted" in refused["message"]
    assert accepted["status"] == "ok", accepted


async def test_a_tunnel_to_a_closed_port_names_the_bastion(client: Client, admin_headers, ssh_peer) -> None:
    port = closed_port()
    config = {"host": "127.0.0.1", "port": port, "user": "x", "connect_timeout": 3, "ssh_tunnel": _tunnel(ssh_peer, password=ssh_peer.password)}

    report, elapsed = await try_config(client, admin_headers, "postgresql", config)

    assert failed_step(report) == {
        "name": "authenticate", "passed": False,
        "message": f"the SSH bastion could not reach 127.0.0.1:{port} (it closed the forwarded connection)",
    }  # fmt: skip
    assert elapsed < 3.5
