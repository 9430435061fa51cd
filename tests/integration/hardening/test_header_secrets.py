"""An api node's ``headers`` are secrets: sealed at rest, never returned, absent from the audit
log, and still sent to the service the node checks; existing plain-text headers are sealed
by migration 0011."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone
from collections.abc import Iterator
from uuid import uuid4

import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from dlv.db.migrate import upgrade
from dlv.db.models import AuditEntry, Node
from dlv.lib.crypto import SecretBox
from tests.conftest import SECRET_KEY
from tests.integration.hardening.conftest import Client
from tests.services.peers import HttpPeer

HEADER_VALUE = "k-3f9c1e-header-secret"


@pytest.fixture(scope="module")
def http_peer() -> Iterator[HttpPeer]:
    with HttpPeer() as peer:
        yield peer


def _node(peer: HttpPeer) -> dict:
    config = {"base_url": peer.url, "health_path": "/ok", "timeout_seconds": 5, "headers": {"X-Api-Key": HEADER_VALUE}}
    return {"name": "billing-api", "type": "api", "config": config}


async def test_header_values_are_sealed_never_returned_and_still_sent(
    client: Client, admin_headers, viewer_headers, session_factory, http_peer: HttpPeer
) -> None:
    created = await client.post("/api/nodes", json=_node(http_peer), headers=admin_headers)
    node_id = created.json()["id"]
    renamed = await client.patch(f"/api/nodes/{node_id}", json={"description": "billing"}, headers=admin_headers)
    read = await client.get(f"/api/nodes/{node_id}", headers=viewer_headers)
    tested = await client.post(f"/api/nodes/{node_id}/test", headers=admin_headers)
    audit = await client.get("/api/audit", headers=admin_headers)

    assert created.status_code == 201, created.text
    for response in (created, renamed, read):
        assert response.json()["config"]["headers"] is None
        assert "headers" in response.json()["secrets_set"]
    assert HEADER_VALUE not in created.text + renamed.text + read.text + audit.text
    assert tested.json()["status"] == "ok", tested.text
    assert http_peer.requests[-1][1].get("X-Api-Key") == HEADER_VALUE  # kept through the PATCH
    async with session_factory() as session:
        stored = await session.scalar(select(Node))
        entries = (await session.scalars(select(AuditEntry))).all()
    assert HEADER_VALUE not in json.dumps(stored.config) + stored.encrypted_secrets
    assert SecretBox(SECRET_KEY).open(stored.encrypted_secrets)["headers"] == {"X-Api-Key": HEADER_VALUE}
    assert entries and all(HEADER_VALUE not in json.dumps(entry.diff) for entry in entries)


async def test_a_node_without_headers_keeps_an_empty_map_and_no_secret(client: Client, admin_headers, http_peer: HttpPeer) -> None:
    body = _node(http_peer)
    body["config"]["headers"] = {}

    created = await client.post("/api/nodes", json=body, headers=admin_headers)

    assert created.json()["config"]["headers"] == {}
    assert created.json()["secrets_set"] == []


@pytest.mark.parametrize("target", ["sqlite", "postgresql"])
async def test_migration_0011_seals_plain_text_headers_and_blanks_them_in_old_diffs(
    target: str, tmp_path, request: pytest.FixtureRequest
) -> None:
    if target == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'legacy.db'}"
    else:
        url = request.getfixturevalue("postgres_server").create_database(f"legacy_{tmp_path.name[-12:].lower()}")
    await asyncio.to_thread(upgrade, url, "0010_run_history")
    node_id = uuid4()
    config = {"base_url": "https://billing.internal", "headers": {"X-Api-Key": HEADER_VALUE}}
    engine = create_async_engine(url, poolclass=NullPool)
    async with engine.begin() as connection:
        now = datetime(2024, 1, 1, tzinfo=timezone.utc)
        node_table = Node.__table__
        await connection.execute(
            node_table.insert().values(
                id=node_id, name="billing-api", type="api", config=config, tags=[], secrets_set=[], status="unknown",
                created_at=now, updated_at=now,
            )
        )
        await connection.execute(
            AuditEntry.__table__.insert().values(
                occurred_at=now, actor_kind="user", actor_name="admin", action="create", entity_type="node",
                entity_id=str(node_id), diff={"config": {"old": None, "new": config}},
            )
        )

    with pytest.raises(RuntimeError, match="DLV_SECRET_KEY"):
        await asyncio.to_thread(upgrade, url)  # without the key nothing can be sealed: refuse, change nothing
    await asyncio.to_thread(upgrade, url, "0011_api_headers_secret", SECRET_KEY)

    async with engine.connect() as connection:
        stored = (await connection.execute(select(Node.__table__))).one()
        diff = (await connection.execute(select(AuditEntry.__table__.c.diff))).scalar_one()
        version = (await connection.execute(text("SELECT version_num FROM alembic_version"))).scalar_one()
    await engine.dispose()
    assert version == "0011_api_headers_secret"
    assert stored.config["headers"] is None and stored.secrets_set == ["headers"]
    assert SecretBox(SECRET_KEY).open(stored.encrypted_secrets) == {"headers": {"X-Api-Key": HEADER_VALUE}}
    assert HEADER_VALUE not in json.dumps(diff)
