"""Directed traversal on hand-built graphs whose answers are known, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from tests.integration.lineage.conftest import GraphBuilder

# raw -> p_load -> staged -> p_model -> mart -> report ; staged -> view (derivation)
PIPELINE = [("raw", "p_load"), ("p_load", "staged"), ("staged", "p_model"), ("p_model", "mart"), ("mart", "report"), ("staged", "view")]


async def test_downstream_follows_the_direction_data_flows_with_depth_in_edges(lineage: GraphBuilder) -> None:
    await lineage.build(PIPELINE)

    graph = await lineage.graph("staged", direction="downstream", depth=2)

    assert lineage.names(graph) == {"staged": 0, "p_model": 1, "view": 1, "mart": 2}
    assert lineage.edge_names(graph) == {("staged", "p_model"), ("staged", "view"), ("p_model", "mart")}
    assert graph["truncated"] is False
    assert graph["source"] == "sql"


async def test_upstream_walks_against_the_flow(lineage: GraphBuilder) -> None:
    await lineage.build(PIPELINE)

    graph = await lineage.graph("report", direction="upstream", depth=10)

    assert lineage.names(graph) == {"report": 0, "mart": 1, "p_model": 2, "staged": 3, "p_load": 4, "raw": 5}
    assert ("mart", "report") in lineage.edge_names(graph)
    assert "view" not in lineage.names(graph)


async def test_both_is_the_union_of_the_upstream_and_downstream_cones(lineage: GraphBuilder) -> None:
    await lineage.build(PIPELINE + [("other_source", "p_other"), ("p_other", "view")])

    graph = await lineage.graph("staged", direction="both", depth=1)

    assert lineage.names(graph) == {"staged": 0, "p_load": 1, "p_model": 1, "view": 1}
    assert "p_other" not in lineage.names(graph)  # a sibling of a child is neither up- nor downstream


async def test_depth_zero_returns_only_the_start(lineage: GraphBuilder) -> None:
    await lineage.build(PIPELINE)

    graph = await lineage.graph("staged", direction="both", depth=0)

    assert lineage.names(graph) == {"staged": 0}
    assert graph["edges"] == []


async def test_start_by_namespace_and_name(lineage: GraphBuilder, client, admin_headers) -> None:
    await lineage.build(PIPELINE)

    response = await client.get(
        "/api/lineage/graph",
        params={"type": "asset", "namespace": "postgres://warehouse:5432", "name": "mart", "direction": "downstream", "depth": 1},
        headers=admin_headers,
    )

    assert response.status_code == 200
    assert {node["name"] for node in response.json()["nodes"]} == {"mart", "report"}


async def test_a_diamond_dag_reports_each_node_once_at_its_shortest_distance(lineage: GraphBuilder) -> None:
    # 10 layers of 4 assets, each asset feeding every asset of the next layer: 4^10 paths.
    layers = [[f"l{layer}_{i}" for i in range(4)] for layer in range(11)]
    edges = [(a, b) for upper, lower in zip(layers, layers[1:]) for a in upper for b in lower]
    edges.append(("l0_0", "l5_0"))  # a shortcut: l5_0 is 1 edge away, not 5
    await lineage.build([("root", name) for name in layers[0]] + edges)

    graph = await lineage.graph("root", direction="downstream", depth=10)

    names = [node["name"] for node in graph["nodes"]]
    assert len(names) == len(set(names)) == 1 + 4 * 11
    depths = lineage.names(graph)
    assert depths["l0_3"] == 1 and depths["l4_0"] == 5
    assert depths["l5_0"] == 2 and depths["l5_1"] == 6  # through the shortcut, and without it
    assert depths["l10_2"] == 7  # below the shortcut everything is reached sooner
    assert len(graph["edges"]) == len({edge["id"] for edge in graph["edges"]})


async def test_cycles_terminate_and_list_each_node_once(lineage: GraphBuilder) -> None:
    await lineage.build([("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")])

    graph = await lineage.graph("a", direction="downstream", depth=50)

    assert lineage.names(graph) == {"a": 0, "b": 1, "c": 2, "d": 3}
    assert lineage.edge_names(graph) == {("a", "b"), ("b", "c"), ("c", "a"), ("c", "d")}


async def test_max_nodes_keeps_the_nearest_and_says_truncated(lineage: GraphBuilder) -> None:
    await lineage.build([("hub", f"child{i}") for i in range(6)] + [("child0", "grandchild")])

    graph = await lineage.graph("hub", direction="downstream", depth=5, max_nodes=4)

    assert graph["truncated"] is True
    assert len(graph["nodes"]) == 4
    assert all(depth <= 1 for depth in lineage.names(graph).values())
    kept = set(lineage.names(graph))
    assert all(source in kept and target in kept for source, target in lineage.edge_names(graph))


async def test_depth_out_of_range_is_refused_with_the_allowed_range(lineage: GraphBuilder, client, admin_headers) -> None:
    ids = await lineage.build(PIPELINE)

    for depth in (-1, 51):
        response = await client.get(
            "/api/lineage/graph", params={"node_id": ids["raw"], "depth": depth}, headers=admin_headers
        )
        assert response.status_code == 400
        assert "between 0 and 50" in response.json()["detail"]


async def test_unknown_start_is_a_404(client, admin_headers) -> None:
    response = await client.get(
        "/api/lineage/graph", params={"node_id": "00000000-0000-0000-0000-000000000001"}, headers=admin_headers
    )

    assert response.status_code == 404


async def test_as_of_shows_a_retired_edge_before_and_not_after(lineage: GraphBuilder, client, admin_headers) -> None:
    ids = await lineage.build([("a", "b"), ("b", "c")])
    before = datetime.now(timezone.utc)
    edges = (await client.get("/api/lineage/edges", params={"source_id": ids["b"]}, headers=admin_headers)).json()["items"]

    retired = await client.delete(f"/api/lineage/edges/{edges[0]['id']}", headers=admin_headers)
    after = datetime.now(timezone.utc) + timedelta(milliseconds=5)

    assert retired.status_code == 204
    assert lineage.names(await lineage.graph("a", direction="downstream", depth=5)) == {"a": 0, "b": 1}
    assert lineage.names(await lineage.graph("a", direction="downstream", depth=5, as_of=before.isoformat())) == {"a": 0, "b": 1, "c": 2}
    assert lineage.names(await lineage.graph("a", direction="downstream", depth=5, as_of=after.isoformat())) == {"a": 0, "b": 1}
    earlier = (datetime.now(timezone.utc) - timedelta(days=30)).isoformat()
    assert lineage.names(await lineage.graph("a", direction="downstream", depth=5, as_of=earlier)) == {"a": 0}


async def test_deleting_an_asset_retires_its_edges_but_history_keeps_it(lineage: GraphBuilder, client, admin_headers) -> None:
    ids = await lineage.build([("a", "b"), ("b", "c")])
    before = datetime.now(timezone.utc)

    deleted = await client.delete(f"/api/lineage/assets/{ids['b']}", headers=admin_headers)

    assert deleted.status_code == 204
    assert lineage.names(await lineage.graph("a", direction="downstream", depth=5)) == {"a": 0}
    assert lineage.names(await lineage.graph("a", direction="downstream", depth=5, as_of=before.isoformat())) == {"a": 0, "b": 1, "c": 2}
    history = await client.get("/api/lineage/edges", params={"node_id": ids["b"], "include_retired": True}, headers=admin_headers)
    assert history.json()["total"] == 2 and all(edge["valid_to"] for edge in history.json()["items"])
    listed = await client.get("/api/lineage/assets", headers=admin_headers)
    assert "b" not in {item["name"] for item in listed.json()["items"]}


async def test_purge_erases_an_asset_and_its_history(lineage: GraphBuilder, client, admin_headers) -> None:
    ids = await lineage.build([("a", "b")])

    purged = await client.delete(f"/api/lineage/assets/{ids['b']}", params={"purge": True}, headers=admin_headers)

    assert purged.status_code == 204
    assert (await client.get(f"/api/lineage/assets/{ids['b']}", headers=admin_headers)).status_code == 404
    history = await client.get("/api/lineage/edges", params={"node_id": ids["a"], "include_retired": True}, headers=admin_headers)
    assert history.json()["total"] == 0


async def test_columns_true_adds_the_column_mappings(lineage: GraphBuilder) -> None:
    mapping = [{"source_field": "id", "target_field": "order_id", "transformation": "identity"}]
    await lineage.build([("orders", "orders_view")], columns={("orders", "orders_view"): mapping})

    plain = await lineage.graph("orders", direction="downstream", depth=1)
    with_columns = await lineage.graph("orders", direction="downstream", depth=1, columns=True)

    assert "columns" not in plain["edges"][0]
    assert with_columns["edges"][0]["columns"] == mapping


async def test_field_follows_one_column_through_views_and_processes(lineage: GraphBuilder) -> None:
    await lineage.build(
        [("orders", "orders_v"), ("orders_v", "p_agg"), ("customers", "p_agg"), ("p_agg", "revenue"), ("orders", "audit")],
        columns={
            ("orders", "orders_v"): [
                {"source_field": "amount", "target_field": "amount"},
                {"source_field": "id", "target_field": "order_id"},
            ],
            ("p_agg", "revenue"): [
                {"source_field": "amount", "target_field": "total", "transformation": "SUM"},
                {"source_field": "name", "target_field": "customer"},
            ],
            ("orders", "audit"): [{"source_field": "id", "target_field": "order_id"}],
        },
        assets=[
            {"namespace": "postgres://warehouse:5432", "name": "orders", "fields": [{"name": "amount", "type": "numeric"}, {"name": "id", "type": "int"}]},
            {"namespace": "postgres://warehouse:5432", "name": "customers", "fields": [{"name": "id"}, {"name": "name"}]},
        ],
    )

    down = await lineage.graph("orders", direction="downstream", depth=10, field="amount")

    assert lineage.names(down) == {"orders": 0, "orders_v": 1, "p_agg": 2, "revenue": 3}
    fields = {node["name"]: node["fields"] for node in down["nodes"]}
    assert fields["revenue"] == ["total"] and fields["orders_v"] == ["amount"]
    agg_edge = next(edge for edge in down["edges"] if edge["target_id"] == lineage.ids["revenue"])
    assert agg_edge["columns"] == [{"source_field": "amount", "target_field": "total", "transformation": "SUM"}]

    up = await lineage.graph("revenue", direction="upstream", depth=10, field="total")
    assert set(lineage.names(up)) == {"revenue", "p_agg", "orders_v", "orders"}


async def test_field_that_the_asset_does_not_have_is_refused(lineage: GraphBuilder) -> None:
    await lineage.build(
        [("orders", "x")],
        assets=[{"namespace": "postgres://warehouse:5432", "name": "orders", "fields": [{"name": "id"}]}],
    )

    response = await lineage.client.get(
        "/api/lineage/graph", params={"node_id": lineage.ids["orders"], "field": "nope"}, headers=lineage.headers
    )

    assert response.status_code == 400
    assert "has no field 'nope'" in response.json()["detail"]
