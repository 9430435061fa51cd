"""GET /api/audit: admins only, newest first, filtered; rejected writes and OpenLineage
ingestion leave nothing in it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from dlv.db.models import AuditEntry
from tests.integration.audit.conftest import audit_entries
from tests.integration.hardening.conftest import issue_api_token
from tests.integration.nodes.conftest import Client
from tests.integration.openlineage.conftest import run_event

NAMESPACE = "postgres://warehouse:5432"


async def _asset(client: Client, headers: dict[str, str], name: str) -> dict:
    response = await client.post("/api/lineage/assets", json={"namespace": NAMESPACE, "name": name}, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


async def _count(session_factory) -> int:
    async with session_factory() as session:
        return await session.scalar(select(func.count()).select_from(AuditEntry))


async def test_only_admins_read_the_audit_log(client: Client, admin_headers, viewer_headers) -> None:
    anonymous = await client.get("/api/audit")
    viewer = await client.get("/api/audit", headers=viewer_headers)
    admin = await client.get("/api/audit", headers=admin_headers)

    assert (anonymous.status_code, viewer.status_code, admin.status_code) == (401, 403, 200)
    assert admin.json()["items"] == [] and admin.json()["total"] == 0


async def test_entries_are_paged_newest_first_and_filtered_by_actor_entity_action_and_time(
    client: Client, admin_headers, session_factory
) -> None:
    admin_id = (await client.get("/api/auth/me", headers=admin_headers)).json()["id"]
    token_headers = {"Authorization": f"Bearer {await issue_api_token(client, admin_headers, 'admin', name='bot')}"}
    orders = await _asset(client, admin_headers, "orders")
    await client.patch(f"/api/lineage/assets/{orders['id']}", json={"owner": "sales"}, headers=admin_headers)
    customers = await _asset(client, token_headers, "customers")
    started = datetime.now(timezone.utc)

    first_page = (await client.get("/api/audit", params={"pageSize": 2}, headers=admin_headers)).json()
    by_token = await audit_entries(client, admin_headers, actor="bot")
    by_admin_id = await audit_entries(client, admin_headers, actor=admin_id)
    of_orders = await audit_entries(client, admin_headers, entity_type="data_asset", entity_id=orders["id"])
    updates = await audit_entries(client, admin_headers, action="update")
    tokens = await audit_entries(client, admin_headers, entity_type="api_token")
    before_start = await audit_entries(client, admin_headers, until=started.isoformat())
    after_start = await audit_entries(client, admin_headers, since=started.isoformat())
    window = await audit_entries(
        client, admin_headers, since=(started - timedelta(hours=1)).isoformat(), until=(started + timedelta(hours=1)).isoformat()
    )

    assert first_page["total"] == 4 and first_page["limit"] == 2
    assert [(item["entity_name"], item["action"]) for item in first_page["items"]] == [
        (f"{NAMESPACE}/customers", "create"),
        (f"{NAMESPACE}/orders", "update"),
    ]
    assert [entry["entity_id"] for entry in by_token] == [customers["id"]]
    assert [(entry["entity_type"], entry["action"]) for entry in by_admin_id] == [
        ("data_asset", "update"),
        ("data_asset", "create"),
        ("api_token", "create"),
    ]
    assert [entry["action"] for entry in of_orders] == ["update", "create"]
    assert [entry["entity_id"] for entry in updates] == [orders["id"]]
    assert [entry["entity_name"] for entry in tokens] == ["bot"]
    assert len(before_start) == 4 and after_start == [] and len(window) == 4
    assert await _count(session_factory) == 4


async def test_bad_filters_are_refused_naming_what_to_send(client: Client, admin_headers) -> None:
    entity = await client.get("/api/audit", params={"entity_type": "table"}, headers=admin_headers)
    action = await client.get("/api/audit", params={"action": "erase"}, headers=admin_headers)
    window = await client.get(
        "/api/audit", params={"since": "2026-01-02T00:00:00Z", "until": "2026-01-01T00:00:00Z"}, headers=admin_headers
    )
    moment = await client.get("/api/audit", params={"since": "yesterday"}, headers=admin_headers)

    assert entity.status_code == 400 and "data_asset" in entity.json()["detail"] and "entity_type=table" in entity.json()["detail"]
    assert action.status_code == 400 and "retire" in action.json()["detail"]
    assert window.status_code == 400 and "since" in window.json()["detail"]
    assert moment.status_code == 400 and "since" in moment.text


async def test_a_rejected_write_leaves_no_audit_entry(client: Client, admin_headers, session_factory) -> None:
    rejected = await client.post(
        "/api/lineage/bulk",
        json={
            "assets": [{"namespace": NAMESPACE, "name": "orders"}],
            "edges": [{"source": {"type": "asset", "namespace": NAMESPACE, "name": "orders"},
                       "target": {"type": "asset", "namespace": NAMESPACE, "name": "missing"}}],
        },
        headers=admin_headers,
    )  # fmt: skip
    bad_patch = await client.patch("/api/auth/users/00000000-0000-0000-0000-000000000000", json={"role": "admin"}, headers=admin_headers)

    assert rejected.status_code == 400 and "edges[0]" in rejected.json()["detail"]
    assert bad_patch.status_code == 404
    assert await _count(session_factory) == 0
    assert (await client.get("/api/lineage/assets", headers=admin_headers)).json()["items"] == []


async def test_entries_carry_the_request_id_the_answer_carries(client: Client, admin_headers) -> None:
    response = await client.post(
        "/api/dashboards", json={"name": "flows"}, headers={**admin_headers, "X-Request-ID": "deploy-42.a"}
    )

    [entry] = await audit_entries(client, admin_headers, entity_type="dashboard")
    assert response.headers["x-request-id"] == "deploy-42.a" and entry["request_id"] == "deploy-42.a"


async def test_openlineage_ingestion_adds_no_audit_entries(client: Client, admin_headers, session_factory) -> None:
    ingest_headers = {"Authorization": f"Bearer {await issue_api_token(client, admin_headers, 'ingest', name='spark')}"}
    recorded_before = await _count(session_factory)
    start = run_event("nightly", "0190a0a8-4a44-7a5e-9b3c-5d9f0c4c1a01", "START", "2026-01-01T00:00:00Z", inputs=["raw"], outputs=["clean"])
    complete = {**start, "eventType": "COMPLETE", "eventTime": "2026-01-01T00:05:00Z"}

    by_token = await client.post("/api/v1/lineage", json=start, headers=ingest_headers)
    by_admin = await client.post("/api/v1/lineage", json=complete, headers=admin_headers)

    assert (by_token.status_code, by_admin.status_code) == (201, 201)
    assets = (await client.get("/api/lineage/assets", headers=admin_headers)).json()["items"]
    assert {asset["name"] for asset in assets} == {"raw", "clean"}  # the events did change the lineage...
    assert recorded_before == 1 and await _count(session_factory) == 1  # ...and only the token's creation is audited
