"""Paths between two nodes, filters that keep paths, and graphs starting from a catalog
node, on SQLite and PostgreSQL."""

from __future__ import annotations

from uuid import UUID, uuid4

from dlv.db.models import Node, Process
from tests.integration.lineage.conftest import GraphBuilder

# Two routes from a to d, a branch that never reaches d (b -> e) and a source of d that a
# does not feed (z).
ROUTES = [("a", "p1"), ("p1", "b"), ("b", "p2"), ("p2", "d"), ("a", "p3"), ("p3", "c"), ("c", "p4"), ("p4", "d"), ("b", "e"), ("z", "d")]
CHAIN = [("raw", "p_load"), ("p_load", "staged"), ("staged", "p_model"), ("p_model", "mart")]


async def _paths(lineage: GraphBuilder, source: str, target: str, **params) -> dict:
    response = await lineage.client.get(
        "/api/lineage/paths", params={"from_id": lineage.ids[source], "to_id": lineage.ids[target], **params}, headers=lineage.headers
    )
    assert response.status_code == 200, response.text
    return response.json()


async def test_paths_hold_every_route_between_two_nodes_and_nothing_else(lineage: GraphBuilder) -> None:
    await lineage.build(ROUTES)

    paths = await _paths(lineage, "a", "d")

    assert set(lineage.names(paths)) == {"a", "p1", "b", "p2", "p3", "c", "p4", "d"}
    assert ("b", "e") not in lineage.edge_names(paths) and ("z", "d") not in lineage.edge_names(paths)
    assert len(paths["edges"]) == 8
    assert paths["complete"] is True


async def test_paths_say_when_max_depth_may_hide_longer_ones(lineage: GraphBuilder) -> None:
    await lineage.build(CHAIN)

    short = await _paths(lineage, "raw", "mart", max_depth=2)
    full = await _paths(lineage, "raw", "mart", max_depth=4)

    assert short["complete"] is False
    assert set(lineage.names(full)) == {"raw", "p_load", "staged", "p_model", "mart"} and full["complete"] is True


async def test_no_path_against_the_flow(lineage: GraphBuilder) -> None:
    await lineage.build(CHAIN)

    paths = await _paths(lineage, "mart", "raw")

    assert paths["nodes"] == [] and paths["edges"] == [] and paths["complete"] is True


async def test_paths_reject_unknown_ids_and_bad_depths_naming_the_parameter(lineage: GraphBuilder) -> None:
    await lineage.build(CHAIN)
    get = lambda **params: lineage.client.get("/api/lineage/paths", params=params, headers=lineage.headers)  # noqa: E731

    unknown = await get(from_id=lineage.ids["raw"], to_id=str(uuid4()))
    too_deep = await get(from_id=lineage.ids["raw"], to_id=lineage.ids["mart"], max_depth=999)
    missing = await get(from_id=lineage.ids["raw"])

    assert unknown.status_code == 404 and "to_id=" in unknown.json()["detail"]
    assert [error["field"] for error in unknown.json()["errors"]] == ["to_id"]
    assert too_deep.status_code == 400 and "max_depth=999" in too_deep.json()["detail"]
    assert [error["field"] for error in too_deep.json()["errors"]] == ["max_depth"]
    assert missing.status_code == 400 and "to_id" in missing.text


async def test_hiding_processes_keeps_the_paths_as_direct_edges_with_a_via_count(lineage: GraphBuilder) -> None:
    await lineage.build(CHAIN)

    graph = await lineage.graph("raw", direction="downstream", depth=4, hide_kinds="process")

    assert set(lineage.names(graph)) == {"raw", "staged", "mart"}
    assert lineage.edge_names(graph) == {("raw", "staged"), ("staged", "mart")}
    assert all(edge["via"] == 1 for edge in graph["edges"])
    unfiltered = await lineage.graph("raw", direction="downstream", depth=4)
    assert unfiltered["hidden"] == []


async def test_hiding_a_namespace_folds_a_chain_of_hidden_nodes_into_one_edge(lineage: GraphBuilder) -> None:
    await lineage.build(CHAIN, processes=[{"namespace": "airflow://etl", "name": name, "owner": "etl"} for name in ("p_load", "p_model")])

    by_namespace = await lineage.graph("raw", direction="downstream", depth=4, hide_namespaces="postgres://warehouse:5432")
    by_owner = await lineage.graph("raw", direction="downstream", depth=4, hide_owners="etl")

    # The start stays even when it matches; staged is hidden between the two jobs.
    assert set(lineage.names(by_namespace)) == {"raw", "p_load", "p_model"}
    assert {edge["via"] for edge in by_namespace["edges"] if edge.get("via")} == {1}
    assert lineage.edge_names(by_namespace) == {("raw", "p_load"), ("p_load", "p_model")}
    assert set(lineage.names(by_owner)) == {"raw", "staged", "mart"}
    # What was taken out is named, so the UI can say how many nodes a filter hides.
    assert sorted(by_namespace["hidden"]) == sorted(lineage.ids[name] for name in ("staged", "mart"))
    assert sorted(by_owner["hidden"]) == sorted(lineage.ids[name] for name in ("p_load", "p_model"))


async def test_a_filter_with_an_unknown_health_is_refused_naming_it(lineage: GraphBuilder) -> None:
    await lineage.build(CHAIN)

    response = await lineage.client.get(
        "/api/lineage/graph", params={"node_id": lineage.ids["raw"], "hide_health": "green"}, headers=lineage.headers
    )

    assert response.status_code == 400
    assert "hide_health" in response.json()["detail"] and "green" in response.json()["detail"]
    assert response.json()["errors"][0]["field"] == "hide_health"


async def test_the_graph_of_a_catalog_node_starts_from_its_assets(lineage: GraphBuilder, session_factory) -> None:
    async with session_factory() as session:
        node = Node(name="warehouse", type="postgresql", config={}, tags=[], status="ok")
        session.add(node)
        await session.commit()
        node_id = str(node.id)
    await lineage.build(CHAIN + [("other", "p_other")], assets=[{"namespace": "postgres://warehouse:5432", "name": "raw", "node_id": node_id}])

    response = await lineage.client.get(
        "/api/lineage/graph", params={"node_id": node_id, "direction": "downstream", "depth": 1}, headers=lineage.headers
    )

    assert response.status_code == 200, response.text
    assert lineage.names(response.json()) == {"raw": 0, "p_load": 1}


async def test_graph_nodes_name_the_job_enclosing_each_process(lineage: GraphBuilder, session_factory) -> None:
    await lineage.build(CHAIN + [("p_dag", "unrelated")])
    async with session_factory() as session:
        for task in ("p_load", "p_model"):
            (await session.get(Process, UUID(lineage.ids[task]))).parent_id = UUID(lineage.ids["p_dag"])
        await session.commit()

    graph = await lineage.graph("raw", direction="downstream", depth=4)

    parents = {node["name"]: node.get("parent_name") for node in graph["nodes"]}
    assert parents == {"raw": None, "p_load": "p_dag", "staged": None, "p_model": "p_dag", "mart": None}
