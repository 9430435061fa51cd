"""Impact analysis, root causes, CSV export and search."""

from __future__ import annotations

import csv
import io

from sqlalchemy import update

from dlv.db.models import Node, Process
from tests.integration.lineage.conftest import GraphBuilder

# orders -> p_etl -> revenue -> p_report -> dashboard ; p_ingest -> orders
GRAPH = [("p_ingest", "orders"), ("orders", "p_etl"), ("p_etl", "revenue"), ("revenue", "p_report"), ("p_report", "dashboard")]


async def _impact(lineage: GraphBuilder, **params) -> dict:
    response = await lineage.client.get("/api/lineage/impact", params=params, headers=lineage.headers)
    assert response.status_code == 200, response.text
    return response.json()


async def test_impact_lists_everything_downstream_with_distance_owner_and_criticality(lineage: GraphBuilder) -> None:
    await lineage.build(
        GRAPH,
        assets=[
            {"namespace": "postgres://warehouse:5432", "name": "revenue", "owner": "finance", "criticality": "critical"},
            {"namespace": "postgres://warehouse:5432", "name": "dashboard", "owner": "finance", "criticality": "high"},
        ],
    )

    impact = await _impact(lineage, node_id=lineage.ids["orders"])

    assert impact["root"]["name"] == "orders"
    assert [(item["name"], item["distance"]) for item in impact["impacted"]] == [
        ("p_etl", 1), ("revenue", 2), ("p_report", 3), ("dashboard", 4)
    ]
    revenue = impact["impacted"][1]
    assert (revenue["owner"], revenue["criticality"], revenue["type"]) == ("finance", "critical", "asset")
    assert impact["summary"]["total"] == 4
    assert impact["summary"]["assets"] == 2 and impact["summary"]["processes"] == 2
    assert impact["summary"]["by_owner"] == {"finance": 2, "unowned": 2}
    assert impact["summary"]["by_criticality"]["critical"] == 1


async def test_a_failing_upstream_process_is_a_root_cause(lineage: GraphBuilder, session_factory) -> None:
    await lineage.build(GRAPH)
    async with session_factory() as session:
        await session.execute(update(Process).where(Process.name == "p_ingest").values(last_run_state="FAIL"))
        await session.commit()

    impact = await _impact(lineage, node_id=lineage.ids["revenue"])

    assert [(cause["name"], cause["distance"], cause["reason"]) for cause in impact["root_causes"]] == [
        ("p_ingest", 3, "its last run failed")
    ]
    downstream_of_ingest = await _impact(lineage, node_id=lineage.ids["p_ingest"])
    assert [item["name"] for item in downstream_of_ingest["impacted"]][:1] == ["orders"]


async def test_impact_of_a_catalog_node_covers_every_asset_it_holds(lineage: GraphBuilder, session_factory, client, admin_headers) -> None:
    async with session_factory() as session:
        node = Node(name="warehouse", type="postgresql", config={}, tags=[], status="error")
        session.add(node)
        await session.commit()
        node_id = str(node.id)
    await lineage.build(
        GRAPH + [("other", "p_other"), ("p_other", "elsewhere")],
        assets=[{"namespace": "postgres://warehouse:5432", "name": name, "node_id": node_id} for name in ("orders", "other")],
    )

    impact = await _impact(lineage, node_id=node_id)

    assert impact["root"] == {"id": node_id, "type": "node", "name": "warehouse"}
    assert {item["name"] for item in impact["impacted"]} == {"p_etl", "revenue", "p_report", "dashboard", "p_other", "elsewhere"}
    revenue_causes = await _impact(lineage, node_id=lineage.ids["revenue"])
    assert [(cause["type"], cause["name"]) for cause in revenue_causes["root_causes"]] == [("node", "warehouse")]
    graph = await lineage.graph("orders", depth=0)
    assert graph["nodes"][0]["health"] == "error"


async def test_impact_as_csv(lineage: GraphBuilder) -> None:
    await lineage.build(GRAPH)

    response = await lineage.client.get(
        "/api/lineage/impact", params={"node_id": lineage.ids["orders"], "format": "csv"}, headers=lineage.headers
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [(row["name"], row["distance"]) for row in rows] == [("p_etl", "1"), ("revenue", "2"), ("p_report", "3"), ("dashboard", "4")]
    assert set(rows[0]) == {"id", "type", "namespace", "name", "kind", "distance", "owner", "criticality", "health"}


async def test_viewers_can_run_impact_analysis(lineage: GraphBuilder, client, viewer_headers) -> None:
    await lineage.build(GRAPH)

    response = await client.get("/api/lineage/impact", params={"node_id": lineage.ids["orders"]}, headers=viewer_headers)

    assert response.status_code == 200


async def test_search_ranks_exact_then_prefix_then_contains_then_other_fields(lineage: GraphBuilder, client, admin_headers) -> None:
    await lineage.build(
        [("orders", "p_orders_daily"), ("orders", "old_orders_v")],
        assets=[{"namespace": "postgres://warehouse:5432", "name": "customers", "description": "who placed orders"}],
    )

    response = await client.get("/api/search", params={"q": "orders"}, headers=admin_headers)

    assert response.status_code == 200
    assert [(hit["name"], hit["type"]) for hit in response.json()["items"]] == [
        ("orders", "asset"), ("old_orders_v", "asset"), ("p_orders_daily", "process"), ("customers", "asset"),
    ]
    only_processes = await client.get("/api/search", params={"q": "orders", "type": "process"}, headers=admin_headers)
    assert [hit["name"] for hit in only_processes.json()["items"]] == ["p_orders_daily"]
    empty = await client.get("/api/search", params={"q": "  "}, headers=admin_headers)
    assert empty.status_code == 400
