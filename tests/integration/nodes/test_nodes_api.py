"""Nodes CRUD: validation naming the field, nothing stored after a rejection, filters,
sorting, pagination, PATCH semantics, delete, roles, and the node-type listing."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from sqlalchemy import func, select

from dlv.db.models import Node, NodeCheck
from tests.integration.nodes.conftest import Client, api_config, create_node


async def _count_nodes(session_factory) -> int:
    async with session_factory() as session:
        return int(await session.scalar(select(func.count()).select_from(Node)) or 0)


def _pg(**overrides: Any) -> dict[str, Any]:
    return {"host": "db.internal", "user": "reader", "password": "pg-secret-value"} | overrides


async def test_node_types_lists_the_built_ins_with_schema_and_secret_fields(client: Client, viewer_headers) -> None:
    response = await client.get("/api/node-types", headers=viewer_headers)

    assert response.status_code == 200
    types = {item["key"]: item for item in response.json()}
    assert {"postgresql", "api"} <= set(types)
    postgresql = types["postgresql"]
    assert postgresql["label"] == "PostgreSQL" and postgresql["description"]
    assert set(postgresql["secret_fields"]) == {"password", "ssh_tunnel.password", "ssh_tunnel.private_key"}
    schema = postgresql["config_schema"]["$defs"]["PostgreSQLConfig"]
    assert {"host", "port", "database", "user", "password", "sslmode", "connect_timeout", "ssh_tunnel"} <= set(schema["properties"])
    assert set(types["api"]["secret_fields"]) == {"headers", "auth.token", "auth.password"}


async def test_create_returns_the_node_with_secrets_hidden_and_status_unknown(client: Client, admin_headers) -> None:
    node = await create_node(
        client, admin_headers, "warehouse", "postgresql", _pg(), description="Main warehouse", tags=["prod", "finance"]
    )

    assert node["status"] == "unknown"
    assert node["config"]["password"] is None
    assert node["secrets_set"] == ["password"]
    assert node["config"]["port"] == 5432 and node["config"]["sslmode"] == "prefer"  # defaults filled in
    assert node["tags"] == ["prod", "finance"] and node["description"] == "Main warehouse"
    assert set(node) == {
        "id", "name", "type", "config", "secrets_set", "description", "tags", "status", "status_message",
        "last_checked_at", "last_latency_ms", "check_interval_seconds", "discovery_interval_seconds", "created_at", "updated_at",
    }  # fmt: skip
    fetched = await client.get(f"/api/nodes/{node['id']}", headers=admin_headers)
    assert fetched.json() == node


async def test_a_connection_string_is_split_into_fields_and_not_kept(client: Client, admin_headers) -> None:
    config = {"connection_string": "postgresql://reader:s3cr%40t@db.internal:6543/sales?sslmode=require"}

    node = await create_node(client, admin_headers, "sales", "postgresql", config)

    assert node["config"] | {"connect_timeout": 0} == {
        "host": "db.internal", "port": 6543, "database": "sales", "user": "reader", "password": None,
        "sslmode": "require", "connect_timeout": 0, "connection_string": None, "ssh_tunnel": None,
    }  # fmt: skip
    assert node["secrets_set"] == ["password"]


async def _rejected(client: Client, headers, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post("/api/nodes", json=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    return response.json()


async def test_bad_input_is_a_400_naming_the_field_and_nothing_is_stored(client: Client, admin_headers, session_factory) -> None:
    cases = [
        ({"name": "a", "type": "mysql", "config": {}}, "type", "unknown node type 'mysql'"),
        ({"name": "a", "type": "postgresql", "config": _pg(port=70000)}, "config.port", "<= 65535"),
        ({"name": "a", "type": "postgresql", "config": _pg(port="5432x")}, "config.port", "Expected `int`"),
        ({"name": "a", "type": "postgresql", "config": {"user": "x"}}, "config.host", "required"),
        ({"name": "a", "type": "postgresql", "config": _pg(colour="blue")}, "config.colour", "unknown field"),
        ({"name": "a", "type": "postgresql", "config": _pg(ssh_tunnel={"host": "b", "user": "u"})}, "config.ssh_tunnel.password", "private_key"),
        ({"name": "a", "type": "postgresql", "config": {"connection_string": "mysql://x@y/z"}}, "config.connection_string", "postgresql://"),
        ({"name": "a", "type": "api", "config": api_config("ftp://files.internal/")}, "config.base_url", "http:// or https://"),
        ({"name": "a", "type": "api", "config": api_config("https://api.internal:99999/")}, "config.base_url", "out of range"),
        ({"name": "a", "type": "api", "config": api_config("https://u:p@api.internal/")}, "config.base_url", "credentials"),
        ({"name": "a", "type": "api", "config": api_config("https://api.internal", auth={"type": "bearer"})}, "config.auth.token", "required"),
        ({"name": "a", "type": "api", "config": api_config("https://api.internal", expected_status=[99])}, "config.expected_status[0]", ">= 100"),
        ({"name": "", "type": "api", "config": api_config("https://api.internal")}, "name", ""),
    ]  # fmt: skip
    for body, field, words in cases:
        problem = await _rejected(client, admin_headers, body)

        fields = {error["field"]: error["message"] for error in problem["errors"]}
        assert field in fields, (body, problem)
        assert words in fields[field], (body, problem)
        assert field in problem["detail"]
    assert await _count_nodes(session_factory) == 0


async def test_an_oversized_config_is_refused_naming_config(client: Client, admin_headers, session_factory) -> None:
    # Under the request body limit (DLV_MAX_BODY_BYTES, tested in hardening), over the config's own.
    problem = await _rejected(client, admin_headers, {"name": "big", "type": "api", "config": api_config("https://a", padding="x" * 200_000)})

    assert problem["errors"][0]["field"] == "config"
    assert "at most 65,536" in problem["errors"][0]["message"]
    assert await _count_nodes(session_factory) == 0


async def test_names_are_unique(client: Client, admin_headers) -> None:
    await create_node(client, admin_headers, "warehouse", "postgresql", _pg())

    response = await client.post("/api/nodes", json={"name": "warehouse", "type": "postgresql", "config": _pg()}, headers=admin_headers)

    assert response.status_code == 409
    assert "warehouse" in response.json()["detail"]


async def test_list_filters_by_type_status_tag_and_text_sorts_and_pages(client: Client, admin_headers, viewer_headers) -> None:
    await create_node(client, admin_headers, "orders-db", "postgresql", _pg(), tags=["prod"], description="Orders")
    await create_node(client, admin_headers, "billing-api", "api", api_config("https://billing.internal"), tags=["prod", "billing"])
    await create_node(client, admin_headers, "staging-db", "postgresql", _pg(), tags=["staging"])

    async def names(query: str) -> list[str]:
        response = await client.get(f"/api/nodes?{query}", headers=viewer_headers)
        assert response.status_code == 200, response.text
        return [item["name"] for item in response.json()["items"]]

    assert await names("") == ["billing-api", "orders-db", "staging-db"]
    assert await names("type=postgresql") == ["orders-db", "staging-db"]
    assert await names("tag=prod") == ["billing-api", "orders-db"]
    assert await names("tag=prod&type=api") == ["billing-api"]
    assert await names("status=unknown") == ["billing-api", "orders-db", "staging-db"]
    assert await names("status=error") == []
    assert await names("searchString=ORDERS") == ["orders-db"]
    assert await names("orderBy=name&sortOrder=desc") == ["staging-db", "orders-db", "billing-api"]
    page = (await client.get("/api/nodes?pageSize=2&currentPage=2", headers=viewer_headers)).json()
    assert [item["name"] for item in page["items"]] == ["staging-db"]
    assert page["total"] == 3 and page["limit"] == 2 and page["offset"] == 2


async def test_list_rejects_unknown_sort_fields_and_statuses(client: Client, viewer_headers) -> None:
    bad_sort = await client.get("/api/nodes?orderBy=encrypted_secrets", headers=viewer_headers)
    bad_status = await client.get("/api/nodes?status=sideways", headers=viewer_headers)

    assert bad_sort.status_code == 400 and "orderBy" in bad_sort.json()["detail"]
    assert bad_status.status_code == 400


async def test_patch_keeps_secrets_not_sent_and_clears_secrets_sent_as_null(client: Client, admin_headers, session_factory) -> None:
    node = await create_node(client, admin_headers, "warehouse", "postgresql", _pg())
    url = f"/api/nodes/{node['id']}"

    changed = await client.patch(url, json={"config": {"port": 6432}, "tags": ["prod"]}, headers=admin_headers)
    assert changed.status_code == 200, changed.text
    assert changed.json()["config"]["port"] == 6432
    assert changed.json()["secrets_set"] == ["password"]
    assert changed.json()["tags"] == ["prod"] and changed.json()["name"] == "warehouse"

    cleared = await client.patch(url, json={"config": {"password": None}}, headers=admin_headers)
    assert cleared.json()["secrets_set"] == []
    async with session_factory() as session:
        stored = await session.get(Node, UUID(node["id"]))
        assert stored is not None and stored.encrypted_secrets is None


async def test_patch_with_an_invalid_config_changes_nothing(client: Client, admin_headers) -> None:
    node = await create_node(client, admin_headers, "warehouse", "postgresql", _pg())

    response = await client.patch(f"/api/nodes/{node['id']}", json={"name": "renamed", "config": {"port": 0}}, headers=admin_headers)

    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "config.port"
    assert (await client.get(f"/api/nodes/{node['id']}", headers=admin_headers)).json() == node


async def test_patch_cannot_change_the_type_or_take_a_used_name(client: Client, admin_headers) -> None:
    first = await create_node(client, admin_headers, "one", "postgresql", _pg())
    await create_node(client, admin_headers, "two", "postgresql", _pg())

    retyped = await client.patch(f"/api/nodes/{first['id']}", json={"type": "api"}, headers=admin_headers)
    renamed = await client.patch(f"/api/nodes/{first['id']}", json={"name": "two"}, headers=admin_headers)

    assert retyped.status_code == 400
    assert renamed.status_code == 409


async def test_delete_removes_the_node_and_its_history(client: Client, admin_headers, session_factory, http_peer) -> None:
    node = await create_node(client, admin_headers, "api", "api", api_config(http_peer.url))
    await client.post(f"/api/nodes/{node['id']}/test", headers=admin_headers)

    response = await client.delete(f"/api/nodes/{node['id']}", headers=admin_headers)

    assert response.status_code == 204
    assert (await client.get(f"/api/nodes/{node['id']}", headers=admin_headers)).status_code == 404
    async with session_factory() as session:
        assert await session.scalar(select(func.count()).select_from(NodeCheck)) == 0


async def test_viewers_read_but_cannot_change_or_test(client: Client, admin_headers, viewer_headers, http_peer) -> None:
    node = await create_node(client, admin_headers, "api", "api", api_config(http_peer.url))
    url = f"/api/nodes/{node['id']}"

    assert (await client.get(url, headers=viewer_headers)).status_code == 200
    assert (await client.get(f"{url}/checks", headers=viewer_headers)).status_code == 200
    forbidden = [
        await client.post("/api/nodes", json={"name": "x", "type": "api", "config": api_config(http_peer.url)}, headers=viewer_headers),
        await client.patch(url, json={"description": "mine now"}, headers=viewer_headers),
        await client.delete(url, headers=viewer_headers),
        await client.post(f"{url}/test", headers=viewer_headers),
        await client.post("/api/nodes/test", json={"type": "api", "config": api_config(http_peer.url)}, headers=viewer_headers),
    ]
    assert [response.status_code for response in forbidden] == [403] * 5
    assert (await client.get("/api/nodes")).status_code == 401


async def test_testing_a_saved_node_stores_the_result_and_the_history(client: Client, admin_headers, http_peer) -> None:
    node = await create_node(client, admin_headers, "api", "api", api_config(http_peer.url))
    url = f"/api/nodes/{node['id']}"

    ok = (await client.post(f"{url}/test", headers=admin_headers)).json()
    await client.patch(url, json={"config": {"health_path": "/fail"}}, headers=admin_headers)
    failed = (await client.post(f"{url}/test", headers=admin_headers)).json()

    assert ok["status"] == "ok" and failed["status"] == "error"
    stored = (await client.get(url, headers=admin_headers)).json()
    assert stored["status"] == "error"
    assert stored["status_message"] == failed["message"]
    assert stored["last_checked_at"] is not None and stored["last_latency_ms"] is None
    checks = (await client.get(f"{url}/checks", headers=admin_headers)).json()
    assert [check["status"] for check in checks] == ["error", "ok"]
    assert checks[1]["latency_ms"] == ok["latency_ms"] and checks[1]["steps"] == ok["steps"]
    assert {check["trigger"] for check in checks} == {"manual"}
    assert (await client.get(f"{url}/checks?limit=1", headers=admin_headers)).json() == checks[:1]


async def test_a_saved_node_whose_type_is_no_longer_installed_reports_an_error(client: Client, admin_headers, session_factory) -> None:
    async with session_factory() as session:
        session.add(Node(name="orphan", type="mainframe", config={}, tags=[], secrets_set=[], status="unknown"))
        await session.commit()
    listed = (await client.get("/api/nodes", headers=admin_headers)).json()["items"]

    report = (await client.post(f"/api/nodes/{listed[0]['id']}/test", headers=admin_headers)).json()

    assert report["status"] == "error"
    assert "mainframe" in report["message"] and "not installed" in report["message"]
