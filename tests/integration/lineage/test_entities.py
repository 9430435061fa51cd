"""Assets, processes, edges and bulk import through the API; nothing stored from a rejected write."""

from __future__ import annotations

from sqlalchemy import func, select

from dlv.db.models import DataAsset, LineageEdge, Process
from tests.integration.lineage.conftest import GraphBuilder

WAREHOUSE = "postgres://warehouse:5432"


async def _count(session_factory, model) -> int:
    async with session_factory() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_asset_create_read_update_list(client, admin_headers) -> None:
    created = await client.post(
        "/api/lineage/assets",
        json={
            "namespace": WAREHOUSE, "name": "analytics.public.orders", "kind": "table", "owner": "data-eng",
            "tags": ["pii"], "criticality": "high", "fields": [{"name": "id", "type": "bigint"}],
        },
        headers=admin_headers,
    )
    assert created.status_code == 201
    asset = created.json()
    assert asset["fields"] == [{"name": "id", "type": "bigint"}] and asset["deleted_at"] is None

    changed = await client.patch(f"/api/lineage/assets/{asset['id']}", json={"owner": "analytics"}, headers=admin_headers)
    assert changed.json()["owner"] == "analytics" and changed.json()["criticality"] == "high"

    await client.post("/api/lineage/assets", json={"namespace": WAREHOUSE, "name": "analytics.public.customers"}, headers=admin_headers)
    page = await client.get("/api/lineage/assets", params={"searchString": "ORDERS"}, headers=admin_headers)
    assert [item["name"] for item in page.json()["items"]] == ["analytics.public.orders"]
    by_owner = await client.get("/api/lineage/assets", params={"owner": "analytics"}, headers=admin_headers)
    assert by_owner.json()["total"] == 1
    paged = await client.get("/api/lineage/assets", params={"pageSize": 1, "currentPage": 2}, headers=admin_headers)
    assert paged.json()["total"] == 2 and [item["name"] for item in paged.json()["items"]] == ["analytics.public.orders"]


async def test_same_namespace_and_name_is_a_conflict(client, admin_headers, session_factory) -> None:
    body = {"namespace": WAREHOUSE, "name": "orders"}
    await client.post("/api/lineage/assets", json=body, headers=admin_headers)

    again = await client.post("/api/lineage/assets", json=body, headers=admin_headers)

    assert again.status_code == 409
    assert "already exists" in again.json()["detail"]
    assert await _count(session_factory, DataAsset) == 1
    # a process may share the name: uniqueness is per kind of entity
    process = await client.post("/api/lineage/processes", json=body, headers=admin_headers)
    assert process.status_code == 201


async def test_invalid_asset_fields_are_named(client, admin_headers, session_factory) -> None:
    response = await client.post(
        "/api/lineage/assets", json={"namespace": WAREHOUSE, "name": "x", "criticality": "extreme"}, headers=admin_headers
    )

    assert response.status_code == 400
    assert "criticality" in response.json()["detail"]
    assert await _count(session_factory, DataAsset) == 0


async def test_unknown_catalog_node_is_refused(client, admin_headers) -> None:
    response = await client.post(
        "/api/lineage/assets",
        json={"namespace": WAREHOUSE, "name": "x", "node_id": "00000000-0000-0000-0000-000000000009"},
        headers=admin_headers,
    )

    assert response.status_code == 400
    assert "node_id" in response.json()["detail"]


async def test_edges_between_known_nodes_with_columns(client, admin_headers) -> None:
    a = (await client.post("/api/lineage/assets", json={"namespace": WAREHOUSE, "name": "a"}, headers=admin_headers)).json()
    p = (await client.post("/api/lineage/processes", json={"namespace": "spark", "name": "job"}, headers=admin_headers)).json()

    edge = await client.post(
        "/api/lineage/edges",
        json={"source_id": a["id"], "target_id": p["id"], "columns": [{"source_field": "x", "target_field": "y"}]},
        headers=admin_headers,
    )

    assert edge.status_code == 201
    assert edge.json()["source_type"] == "asset" and edge.json()["target_type"] == "process"
    assert edge.json()["origin"] == "manual" and edge.json()["valid_to"] is None


async def test_edge_shapes_that_make_no_sense_are_refused(client, admin_headers, session_factory) -> None:
    a = (await client.post("/api/lineage/assets", json={"namespace": WAREHOUSE, "name": "a"}, headers=admin_headers)).json()
    p1 = (await client.post("/api/lineage/processes", json={"namespace": "spark", "name": "p1"}, headers=admin_headers)).json()
    p2 = (await client.post("/api/lineage/processes", json={"namespace": "spark", "name": "p2"}, headers=admin_headers)).json()

    itself = await client.post("/api/lineage/edges", json={"source_id": a["id"], "target_id": a["id"]}, headers=admin_headers)
    two_processes = await client.post("/api/lineage/edges", json={"source_id": p1["id"], "target_id": p2["id"]}, headers=admin_headers)
    unknown = await client.post(
        "/api/lineage/edges", json={"source_id": a["id"], "target_id": "00000000-0000-0000-0000-000000000001"}, headers=admin_headers
    )

    assert itself.status_code == 400 and "same node" in itself.json()["detail"]
    assert two_processes.status_code == 400 and "asset -> process" in two_processes.json()["detail"]
    assert unknown.status_code == 400 and "target_id" in unknown.json()["detail"]
    assert await _count(session_factory, LineageEdge) == 0


async def test_changing_an_edge_keeps_the_old_mapping_as_history(lineage: GraphBuilder, client, admin_headers) -> None:
    ids = await lineage.build([("a", "b")], columns={("a", "b"): [{"source_field": "x", "target_field": "x"}]})
    edge = (await client.get("/api/lineage/edges", params={"source_id": ids["a"]}, headers=admin_headers)).json()["items"][0]

    replaced = await client.patch(
        f"/api/lineage/edges/{edge['id']}", json={"columns": [{"source_field": "x", "target_field": "y"}]}, headers=admin_headers
    )

    assert replaced.status_code == 200 and replaced.json()["id"] != edge["id"]
    history = await client.get("/api/lineage/edges", params={"source_id": ids["a"], "include_retired": True}, headers=admin_headers)
    assert sorted((item["columns"][0]["target_field"], item["valid_to"] is None) for item in history.json()["items"]) == [
        ("x", False),
        ("y", True),
    ]


async def test_bulk_upserts_by_natural_key(client, admin_headers) -> None:
    body = {
        "assets": [{"namespace": WAREHOUSE, "name": "src"}, {"namespace": WAREHOUSE, "name": "dst"}],
        "processes": [{"namespace": "dbt", "name": "model"}],
        "edges": [
            {"source": {"type": "asset", "namespace": WAREHOUSE, "name": "src"}, "target": {"type": "process", "namespace": "dbt", "name": "model"}},
            {"source": {"type": "process", "namespace": "dbt", "name": "model"}, "target": {"type": "asset", "namespace": WAREHOUSE, "name": "dst"}},
        ],
    }

    first = await client.post("/api/lineage/bulk", json=body, headers=admin_headers)
    body["assets"][0]["owner"] = "team-a"
    second = await client.post("/api/lineage/bulk", json=body, headers=admin_headers)

    assert first.json() == {"assets": {"created": 2, "updated": 0}, "processes": {"created": 1, "updated": 0}, "edges": {"created": 2, "updated": 0}}
    assert second.json() == {"assets": {"created": 0, "updated": 2}, "processes": {"created": 0, "updated": 1}, "edges": {"created": 0, "updated": 2}}
    owners = {item["name"]: item["owner"] for item in (await client.get("/api/lineage/assets", headers=admin_headers)).json()["items"]}
    assert owners == {"src": "team-a", "dst": None}


async def test_a_large_bulk_upsert_keeps_history_and_refers_to_rows_of_the_same_request(client, admin_headers) -> None:
    """Thousands of rows in one request: a name sent twice updates what the first row made, a
    re-sent edge with other columns replaces the old version (kept for as_of), a deleted
    asset named again comes back, edges may name assets stored before."""
    before = (await client.post("/api/lineage/assets", json={"namespace": WAREHOUSE, "name": "old"}, headers=admin_headers)).json()
    assert (await client.delete(f"/api/lineage/assets/{before['id']}", headers=admin_headers)).status_code == 204
    stored = await client.post("/api/lineage/assets", json={"namespace": WAREHOUSE, "name": "stored"}, headers=admin_headers)
    assert stored.status_code == 201

    def edge(source: str, target: str, field: str) -> dict:
        return {"source": {"type": "asset", "namespace": WAREHOUSE, "name": source}, "target": {"type": "process", "namespace": "dbt", "name": target},
                "columns": [{"source_field": field, "target_field": field}]}

    assets = [{"namespace": WAREHOUSE, "name": f"t{index}"} for index in range(1500)]
    body = {
        "assets": [*assets, {"namespace": WAREHOUSE, "name": "t0", "owner": "team-b"}, {"namespace": WAREHOUSE, "name": "old"}],
        "processes": [{"namespace": "dbt", "name": f"m{index}"} for index in range(1500)],
        "edges": [*(edge(f"t{index}", f"m{index}", "id") for index in range(1500)), edge("stored", "m0", "id"), edge("old", "m1", "id")],
    }
    first = await client.post("/api/lineage/bulk", json=body, headers=admin_headers)
    body["edges"][0] = edge("t0", "m0", "amount")
    second = await client.post("/api/lineage/bulk", json=body, headers=admin_headers)

    assert first.status_code == 200, first.text
    assert first.json() == {"assets": {"created": 1500, "updated": 2}, "processes": {"created": 1500, "updated": 0}, "edges": {"created": 1502, "updated": 0}}
    assert second.json()["edges"] == {"created": 0, "updated": 1502}
    t0 = (await client.get("/api/lineage/assets", params={"searchString": "t0"}, headers=admin_headers)).json()["items"]
    assert [item["owner"] for item in t0 if item["name"] == "t0"] == ["team-b"]
    revived = await client.get(f"/api/lineage/assets/{before['id']}", headers=admin_headers)
    assert revived.json()["deleted_at"] is None
    history = await client.get("/api/lineage/edges", params={"source_id": t0[0]["id"], "include_retired": True}, headers=admin_headers)
    assert sorted((item["columns"][0]["target_field"], item["valid_to"] is None) for item in history.json()["items"]) == [("amount", True), ("id", False)]


async def test_an_edge_sent_twice_in_one_bulk_request_keeps_the_later_mapping(client, admin_headers) -> None:
    def edge(field: str) -> dict:
        return {"source": {"type": "asset", "namespace": WAREHOUSE, "name": "src"}, "target": {"type": "asset", "namespace": WAREHOUSE, "name": "dst"},
                "columns": [{"source_field": field, "target_field": field}]}

    body = {"assets": [{"namespace": WAREHOUSE, "name": "src"}, {"namespace": WAREHOUSE, "name": "dst"}], "edges": [edge("a"), edge("b")]}
    response = await client.post("/api/lineage/bulk", json=body, headers=admin_headers)

    assert response.json()["edges"] == {"created": 1, "updated": 1}
    src = (await client.get("/api/lineage/assets", params={"searchString": "src"}, headers=admin_headers)).json()["items"][0]
    current = (await client.get("/api/lineage/edges", params={"source_id": src["id"]}, headers=admin_headers)).json()["items"]
    assert [item["columns"][0]["source_field"] for item in current] == ["b"]
    history = await client.get("/api/lineage/edges", params={"source_id": src["id"], "include_retired": True}, headers=admin_headers)
    assert sorted(item["columns"][0]["source_field"] for item in history.json()["items"]) == ["a", "b"]


async def test_bulk_with_one_bad_row_names_it_and_stores_nothing(client, admin_headers, session_factory) -> None:
    body = {
        "assets": [{"namespace": WAREHOUSE, "name": "src"}, {"namespace": WAREHOUSE, "name": "dst"}],
        "processes": [{"namespace": "dbt", "name": "model"}],
        "edges": [
            {"source": {"type": "asset", "namespace": WAREHOUSE, "name": "src"}, "target": {"type": "asset", "namespace": WAREHOUSE, "name": "dst"}},
            {"source": {"type": "asset", "namespace": WAREHOUSE, "name": "src"}, "target": {"type": "asset", "namespace": WAREHOUSE, "name": "missing"}},
        ],
    }

    response = await client.post("/api/lineage/bulk", json=body, headers=admin_headers)

    assert response.status_code == 400
    assert response.json()["detail"].startswith("edges[1]")
    assert "missing" in response.json()["detail"]
    for model in (DataAsset, Process, LineageEdge):
        assert await _count(session_factory, model) == 0


async def test_bulk_with_a_malformed_row_names_its_position(client, admin_headers, session_factory) -> None:
    body = {"assets": [{"namespace": WAREHOUSE, "name": "ok"}, {"namespace": WAREHOUSE}]}

    response = await client.post("/api/lineage/bulk", json=body, headers=admin_headers)

    assert response.status_code == 400
    assert "assets[1]" in response.json()["detail"]
    assert await _count(session_factory, DataAsset) == 0


async def test_viewers_read_lineage_but_cannot_write_it(client, viewer_headers, admin_headers) -> None:
    await client.post("/api/lineage/assets", json={"namespace": WAREHOUSE, "name": "a"}, headers=admin_headers)

    assert (await client.get("/api/lineage/assets", headers=viewer_headers)).status_code == 200
    refused = await client.post("/api/lineage/assets", json={"namespace": WAREHOUSE, "name": "b"}, headers=viewer_headers)
    assert refused.status_code == 403
    assert (await client.post("/api/lineage/bulk", json={}, headers=viewer_headers)).status_code == 403
