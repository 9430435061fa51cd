"""Scheduled discovery: a node with ``discovery_interval_seconds`` is discovered by the app's
own scheduler (the same one as health checks), with nobody calling the discover endpoint."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta, timezone
from uuid import UUID

from dlv.nodes._service import NodeService

from tests.integration.discovery.test_postgresql_discovery import assets_by_name, source_database  # noqa: F401 - fixture
from tests.integration.nodes.conftest import Client, api_config, create_node


async def test_a_node_with_a_discovery_interval_is_discovered_by_itself(
    client: Client, admin_headers, postgres_server, source_database
) -> None:
    node = await create_node(client, admin_headers, "shop", "postgresql", source_database["config"], discovery_interval_seconds=1)
    assert node["discovery_interval_seconds"] == 1 and node["check_interval_seconds"] is None
    namespace = f"postgres://{postgres_server.host}:{postgres_server.port}"

    deadline = time.monotonic() + 20
    checks: list[dict] = []
    while time.monotonic() < deadline and not checks:
        await asyncio.sleep(0.2)
        checks = (await client.get(f"/api/nodes/{node['id']}/checks", headers=admin_headers)).json()

    assert checks, "the scheduler ran no discovery within 20 s"
    assert checks[-1]["trigger"] == "discovery" and checks[-1]["status"] == "ok", checks[-1]
    assert "8 created" in checks[-1]["message"]
    assert f"{source_database['name']}.sales.orders" in await assets_by_name(client, admin_headers, namespace)


async def test_the_interval_is_patched_and_cleared_and_refused_for_types_that_cannot_discover(
    client: Client, admin_headers, source_database
) -> None:
    node = await create_node(client, admin_headers, "shop", "postgresql", source_database["config"])
    assert node["discovery_interval_seconds"] is None

    set_ = await client.patch(f"/api/nodes/{node['id']}", json={"discovery_interval_seconds": 3600}, headers=admin_headers)
    renamed = await client.patch(f"/api/nodes/{node['id']}", json={"name": "shop2"}, headers=admin_headers)
    cleared = await client.patch(f"/api/nodes/{node['id']}", json={"discovery_interval_seconds": None}, headers=admin_headers)
    too_small = await client.patch(f"/api/nodes/{node['id']}", json={"discovery_interval_seconds": 0}, headers=admin_headers)
    api = await client.post(
        "/api/nodes",
        json={"name": "web", "type": "api", "config": api_config("http://127.0.0.1:9"), "discovery_interval_seconds": 60},
        headers=admin_headers,
    )

    assert set_.status_code == 200 and set_.json()["discovery_interval_seconds"] == 3600
    assert renamed.json()["discovery_interval_seconds"] == 3600
    assert cleared.json()["discovery_interval_seconds"] is None
    assert too_small.status_code == 400
    assert api.status_code == 400 and "cannot be discovered" in api.text


async def test_a_node_is_due_again_only_when_its_interval_has_passed_since_the_last_discovery(
    client: Client, admin_headers, session_factory, source_database
) -> None:
    node = await create_node(client, admin_headers, "shop", "postgresql", source_database["config"], discovery_interval_seconds=3600)
    await client.post(f"/api/nodes/{node['id']}/discover", headers=admin_headers)  # manual runs count too
    node_id = UUID(node["id"])

    async with session_factory() as session:
        service = NodeService(session=session)
        now = datetime.now(timezone.utc)
        assert await service.due_for_discovery(now) == []
        assert await service.due_for_discovery(now + timedelta(seconds=3601)) == [node_id]
        assert await service.due_for_check(now + timedelta(days=1)) == []  # no health-check interval
