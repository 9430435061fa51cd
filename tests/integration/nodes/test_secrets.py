"""Secrets are encrypted at rest and never leave DLV: not in a response, not in a log line."""

from __future__ import annotations

import logging
from uuid import UUID

from sqlalchemy import text

from dlv.db.models import Node
from dlv.lib.crypto import SecretBox
from tests.conftest import SECRET_KEY
from tests.integration.nodes.conftest import Client, api_config, create_node, postgres_config


async def test_a_full_flow_never_shows_a_secret_in_responses_logs_or_the_database(
    client: Client, admin_headers, session_factory, caplog, postgres_server, ssh_peer, http_peer
) -> None:
    caplog.set_level(logging.DEBUG)
    bastion_password = ssh_peer.password
    api_token = "api-token-3f9a1c-never-shown"
    http_peer.expect_token(api_token)
    secrets = [postgres_server.password, bastion_password, api_token]
    tunnel = {"host": ssh_peer.host, "port": ssh_peer.port, "user": ssh_peer.user, "password": bastion_password, "verify_host_key": False}
    bodies: list[str] = []

    async def call(method: str, url: str, **kwargs) -> dict:
        response = await client.request(method, url, headers=admin_headers, **kwargs)
        assert response.status_code < 300, response.text
        bodies.append(response.text)
        return response.json() if response.content else {}

    database = await call("POST", "/api/nodes", json={"name": "warehouse", "type": "postgresql", "config": postgres_config(postgres_server, ssh_tunnel=tunnel)})
    service = await call("POST", "/api/nodes", json={"name": "billing", "type": "api", "config": api_config(http_peer.url, health_path="/auth", auth={"type": "bearer", "token": api_token})})
    await call("GET", f"/api/nodes/{database['id']}")
    await call("GET", "/api/nodes")
    await call("PATCH", f"/api/nodes/{database['id']}", json={"config": {"connect_timeout": 8}, "description": "kept secrets"})
    database_report = await call("POST", f"/api/nodes/{database['id']}/test")
    service_report = await call("POST", f"/api/nodes/{service['id']}/test")
    await call("POST", "/api/nodes/test", json={"type": "postgresql", "config": postgres_config(postgres_server, password="wrong-" + postgres_server.password)})
    await call("GET", f"/api/nodes/{database['id']}/checks")

    # The stored (and kept) secrets really were used...
    assert database_report["status"] == "ok", database_report
    assert service_report["status"] == "ok", service_report
    assert database["secrets_set"] == ["password", "ssh_tunnel.password"]
    assert database["config"]["password"] is None and database["config"]["ssh_tunnel"]["password"] is None
    assert service["config"]["auth"] == {"type": "bearer", "token": None, "username": None, "password": None}
    # ...and never shown.
    assert {"asyncssh", "httpx"} <= {record.name for record in caplog.records}  # the flow's logs were captured
    logged = "\n".join(f"{record.getMessage()} {record.args!r} {record.exc_text or ''}" for record in caplog.records)
    for secret in secrets:
        assert all(secret not in body for body in bodies), secret
        assert secret not in logged, secret
    async with session_factory() as session:
        rows = (await session.execute(text("SELECT config, encrypted_secrets, secrets_set FROM nodes"))).all()
        stored = await session.get(Node, UUID(database["id"]))
    for secret in secrets:
        assert all(secret not in str(row) for row in rows), secret
    assert stored is not None and stored.encrypted_secrets is not None
    assert stored.encrypted_secrets.startswith("dlv1.")
    assert SecretBox(SECRET_KEY).open(stored.encrypted_secrets) == {
        "password": postgres_server.password,
        "ssh_tunnel.password": bastion_password,
    }


async def test_the_api_schema_has_no_field_for_encrypted_secrets(client: Client) -> None:
    schema = (await client.get("/schema/openapi.json")).text

    assert "encrypted_secrets" not in schema
