"""Every kind of write through the API lands in the audit log with its actor, action, entity
and diff, and no secret ever does."""

from __future__ import annotations

import asyncio
import time
from uuid import UUID

from sqlalchemy import select

from dlv.audit import Actor, set_actor
from dlv.db.models import ASSET, AuditEntry, GraphOutbox
from dlv.graph import OUTBOX_FLAG
from dlv.lineage._schemas import AssetCreate
from dlv.lineage import AssetService, EdgeWriter
from dlv.nodes._scheduler import discover_and_publish
from tests.integration.audit.conftest import audit_entries, by, stored_audit_rows
from tests.integration.discovery.test_postgresql_discovery import execute, source_database  # noqa: F401 - fixture
from tests.integration.hardening.conftest import issue_api_token
from tests.integration.nodes.conftest import Client, create_node, postgres_config

NAMESPACE = "postgres://warehouse:5432"


async def test_user_and_token_writes_are_recorded_as_the_admin_who_made_them_without_secrets(
    client: Client, admin_headers, session_factory
) -> None:
    admin_id = (await client.get("/api/auth/me", headers=admin_headers)).json()["id"]
    first_password, second_password = "first-password-8c1f2e", "second-password-77ab90"
    user = (await client.post("/api/auth/users", json={"username": "ana", "password": first_password}, headers=admin_headers)).json()
    patched = await client.patch(
        f"/api/auth/users/{user['id']}", json={"role": "admin", "password": second_password}, headers=admin_headers
    )
    deleted = await client.delete(f"/api/auth/users/{user['id']}", headers=admin_headers)
    created_token = (await client.post("/api/tokens", json={"name": "etl", "role": "ingest"}, headers=admin_headers)).json()
    revoked = await client.delete(f"/api/tokens/{created_token['id']}", headers=admin_headers)
    assert (patched.status_code, deleted.status_code, revoked.status_code) == (200, 204, 204)

    response = await client.get("/api/audit", params={"pageSize": 1000}, headers=admin_headers)
    entries = response.json()["items"]

    assert [(entry["entity_type"], entry["action"]) for entry in entries] == [
        ("api_token", "revoke"),
        ("api_token", "create"),
        ("user", "delete"),
        ("user", "update"),
        ("user", "create"),
    ]
    assert all(
        (entry["actor_kind"], entry["actor_id"], entry["actor_name"]) == ("user", admin_id, "admin") for entry in entries
    )
    revoke, token_create, user_delete, user_update, user_create = entries
    assert user_create["entity_id"] == user["id"] and user_create["entity_name"] == "ana"
    assert user_create["diff"]["username"] == {"old": None, "new": "ana"}
    assert user_create["diff"]["password"] == "set"
    assert user_update["diff"] == {"role": {"old": "viewer", "new": "admin"}, "password": "changed"}
    assert user_delete["entity_name"] == "ana" and "password" not in user_delete["diff"]
    assert token_create["entity_name"] == "etl" and token_create["diff"]["role"] == {"old": None, "new": "ingest"}
    assert token_create["diff"]["token"] == "set"
    assert revoke["entity_id"] == created_token["id"] and revoke["diff"]["revoked_at"]["old"] is None
    stored = await stored_audit_rows(session_factory)
    for secret in (first_password, second_password, created_token["token"], "argon2", "password_hash", "token_hash"):
        assert secret not in response.text, secret
        assert secret not in stored, secret


async def test_node_writes_tests_and_deletion_are_recorded_and_the_node_password_is_not(
    client: Client, admin_headers, session_factory, postgres_server
) -> None:
    node = await create_node(client, admin_headers, "warehouse", "postgresql", postgres_config(postgres_server))
    patched = await client.patch(
        f"/api/nodes/{node['id']}", json={"description": "main", "config": {"password": postgres_server.password}}, headers=admin_headers
    )
    tested = await client.post(f"/api/nodes/{node['id']}/test", headers=admin_headers)
    unsaved = await client.post(
        "/api/nodes/test", json={"type": "postgresql", "config": postgres_config(postgres_server)}, headers=admin_headers
    )
    deleted = await client.delete(f"/api/nodes/{node['id']}", headers=admin_headers)
    assert (patched.status_code, tested.status_code, unsaved.status_code, deleted.status_code) == (200, 200, 200, 204)
    assert tested.json()["status"] == "ok"

    response = await client.get("/api/audit", params={"pageSize": 1000}, headers=admin_headers)
    entries = response.json()["items"]

    assert [(entry["entity_type"], entry["action"], entry["entity_id"]) for entry in entries] == [
        ("node", "delete", node["id"]),
        ("node", "test", None),
        ("node", "test", node["id"]),
        ("node", "update", node["id"]),
        ("node", "create", node["id"]),
    ]
    deletion, unsaved_test, saved_test, update, creation = entries
    assert creation["entity_name"] == "warehouse" and creation["diff"]["type"] == {"old": None, "new": "postgresql"}
    assert creation["diff"]["secrets"] == "set" and creation["diff"]["config"]["new"]["password"] is None
    assert creation["diff"]["secrets_set"] == {"old": None, "new": ["password"]}
    assert update["diff"]["description"] == {"old": None, "new": "main"} and update["diff"]["secrets"] == "changed"
    assert saved_test["summary"].startswith("ok: ") and saved_test["entity_name"] == "warehouse"
    assert unsaved_test["summary"].startswith("ok: ") and unsaved_test["entity_name"] == "unsaved postgresql config"
    # The test's status fields are not an edit of the node: no update entry for them.
    assert len(by(entries, "node", "update")) == 1
    assert deletion["diff"]["name"] == {"old": "warehouse", "new": None} and "secrets" not in deletion["diff"]
    assert postgres_server.password not in response.text
    assert postgres_server.password not in await stored_audit_rows(session_factory)


async def test_lineage_writes_are_recorded_including_bulk_upserts_retirements_and_purges(client: Client, admin_headers) -> None:
    asset = (await client.post("/api/lineage/assets", json={"namespace": NAMESPACE, "name": "orders"}, headers=admin_headers)).json()
    await client.patch(f"/api/lineage/assets/{asset['id']}", json={"owner": "sales"}, headers=admin_headers)
    process = (await client.post("/api/lineage/processes", json={"namespace": "airflow://etl", "name": "load"}, headers=admin_headers)).json()
    edge = await client.post("/api/lineage/edges", json={"source_id": process["id"], "target_id": asset["id"]}, headers=admin_headers)
    bulk = await client.post(
        "/api/lineage/bulk",
        json={
            "assets": [{"namespace": NAMESPACE, "name": "customers"}],
            "edges": [
                {"source": {"type": "asset", "namespace": NAMESPACE, "name": "customers"},
                 "target": {"type": "process", "namespace": "airflow://etl", "name": "load"}}
            ],
        },
        headers=admin_headers,
    )  # fmt: skip
    retired = await client.delete(f"/api/lineage/assets/{asset['id']}", headers=admin_headers)
    purged = await client.delete(f"/api/lineage/processes/{process['id']}", params={"purge": "true"}, headers=admin_headers)
    assert (edge.status_code, bulk.status_code, retired.status_code, purged.status_code) == (201, 200, 204, 204)

    entries = await audit_entries(client, admin_headers)

    asset_entries = await audit_entries(client, admin_headers, entity_id=asset["id"])
    assert [entry["action"] for entry in asset_entries] == ["retire", "update", "create"]
    assert asset_entries[1]["diff"] == {"owner": {"old": None, "new": "sales"}}
    assert asset_entries[0]["diff"]["deleted_at"]["old"] is None and asset_entries[0]["entity_name"] == f"{NAMESPACE}/orders"
    assert {entry["entity_name"] for entry in by(entries, "data_asset", "create")} == {f"{NAMESPACE}/orders", f"{NAMESPACE}/customers"}
    # The single edge has its own entry; a bulk request's edges share one, saying how many.
    single, bulk_edges = sorted(by(entries, "lineage_edge", "create"), key=lambda entry: entry["entity_id"] is None)
    assert single["entity_id"] == edge.json()["id"]
    assert bulk_edges["entity_id"] is None and bulk_edges["summary"] == "1 edge versions added, 0 replaced ones retired"
    # Retiring the asset retired its edge (a bulk UPDATE), purging the process erased both edges
    # it touched (a bulk DELETE) and the process itself.
    [edge_retired] = by(entries, "lineage_edge", "retire")
    assert edge_retired["entity_id"] == edge.json()["id"] and edge_retired["diff"]["valid_to"]["old"] is None
    assert len(by(entries, "lineage_edge", "delete")) == 2
    [process_purged] = by(entries, "process", "delete")
    assert process_purged["entity_id"] == process["id"] and process_purged["diff"]["name"] == {"old": "load", "new": None}
    assert all(entry["actor_name"] == "admin" for entry in entries)


async def test_dashboard_writes_are_recorded(client: Client, admin_headers) -> None:
    dashboard = (await client.post("/api/dashboards", json={"name": "sales"}, headers=admin_headers)).json()
    await client.patch(f"/api/dashboards/{dashboard['id']}", json={"name": "sales flows"}, headers=admin_headers)
    await client.delete(f"/api/dashboards/{dashboard['id']}", headers=admin_headers)

    entries = await audit_entries(client, admin_headers, entity_type="dashboard")

    assert [entry["action"] for entry in entries] == ["delete", "update", "create"]
    assert entries[1]["diff"] == {"name": {"old": "sales", "new": "sales flows"}}
    assert {entry["entity_id"] for entry in entries} == {dashboard["id"]}


async def test_writes_with_an_api_token_are_recorded_as_the_token(client: Client, admin_headers) -> None:
    value = await issue_api_token(client, admin_headers, "admin", name="deploy-bot")
    token_id = (await audit_entries(client, admin_headers, entity_type="api_token"))[0]["entity_id"]

    created = await client.post(
        "/api/lineage/assets", json={"namespace": NAMESPACE, "name": "orders"}, headers={"Authorization": f"Bearer {value}"}
    )

    assert created.status_code == 201
    [entry] = await audit_entries(client, admin_headers, entity_type="data_asset")
    assert (entry["actor_kind"], entry["actor_id"], entry["actor_name"]) == ("token", token_id, "deploy-bot")
    assert entry["entity_id"] == created.json()["id"]


async def test_discovery_runs_are_recorded_as_the_caller_or_as_the_system_when_scheduled(
    client: Client, admin_headers, app, session_factory, postgres_server, source_database
) -> None:
    node = await create_node(client, admin_headers, "shop", "postgresql", source_database["config"])
    discovered = await client.post(f"/api/nodes/{node['id']}/discover", headers=admin_headers)
    assert discovered.status_code == 200 and discovered.json()["status"] == "ok"
    await execute(postgres_server, source_database["name"], "CREATE TABLE sales.returns (id bigint)")
    # What the scheduler's discovery job does: a session of its own, with nobody calling.
    async with session_factory() as session:
        await discover_and_publish(session, app.state.connectors, UUID(node["id"]))
        await session.commit()

    by_admin = await audit_entries(client, admin_headers, actor="admin")
    by_system = await audit_entries(client, admin_headers, actor="system")

    [manual] = by(by_admin, "node", "discover")
    assert manual["entity_id"] == node["id"] and manual["summary"].startswith("ok: ")
    assert len(by(by_admin, "data_asset", "create")) == 8  # tables, views and a placeholder
    assert by(by_admin, "lineage_edge", "create")
    [scheduled] = by(by_system, "node", "discover")
    assert scheduled["actor_kind"] == "system" and scheduled["actor_id"] is None
    [new_table] = by(by_system, "data_asset", "create")
    assert new_table["entity_name"].endswith(".sales.returns")


async def test_scheduled_health_checks_are_not_recorded(client: Client, admin_headers, postgres_server) -> None:
    node = await create_node(client, admin_headers, "warehouse", "postgresql", postgres_config(postgres_server), check_interval_seconds=1)
    deadline = time.monotonic() + 20
    checks: list[dict] = []
    while time.monotonic() < deadline and len(checks) < 2:
        await asyncio.sleep(0.2)
        checks = (await client.get(f"/api/nodes/{node['id']}/checks", headers=admin_headers)).json()
    assert len(checks) >= 2, "the scheduler ran fewer than two checks within 20 s"

    entries = await audit_entries(client, admin_headers, entity_id=node["id"])

    assert [entry["action"] for entry in entries] == ["create"]


async def test_with_neo4j_on_edge_changes_reach_both_the_audit_log_and_the_graph_outbox(session_factory) -> None:
    """Both captures listen to the same statements; neither may hide a change from the other."""
    async with session_factory() as session:
        session.info[OUTBOX_FLAG] = True
        set_actor(session, Actor(kind="user", name="ana", id="u-1"))
        assets = AssetService(session=session)
        orders = await assets.create_from(AssetCreate(namespace=NAMESPACE, name="orders"))
        report = await assets.create_from(AssetCreate(namespace=NAMESPACE, name="report"))
        writer = EdgeWriter(session)
        edge, _ = await writer.add((orders.id, ASSET), (report.id, ASSET), [], "manual")
        await writer.retire([edge.id])
        await writer.purge(edge_id=edge.id)
        await session.commit()

    async with session_factory() as session:
        audited = (await session.execute(
            select(AuditEntry.action, AuditEntry.actor_name).where(AuditEntry.entity_type == "lineage_edge").order_by(AuditEntry.id)
        )).all()  # fmt: skip
        outboxed = list((await session.scalars(select(GraphOutbox.edge_id).order_by(GraphOutbox.id))).all())
    assert [tuple(row) for row in audited] == [("create", "ana"), ("retire", "ana"), ("delete", "ana")]
    assert outboxed == [edge.id] * 3
