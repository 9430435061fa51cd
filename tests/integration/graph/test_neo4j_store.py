"""The Neo4j store against a real Neo4j: same answers as SQL, pruning plans, projection,
rebuild, fallback; on SQLite and PostgreSQL as the relational truth."""

from __future__ import annotations

import asyncio
import random
from datetime import datetime, timedelta, timezone
from uuid import UUID, uuid4

from hypothesis import HealthCheck, given, settings, strategies as st
from sqlalchemy import delete, func, select

from dlv.db.models import ASSET, PROCESS, DataAsset, GraphOutbox, LineageEdge, Process
from dlv.graph import Neo4jGraphStore, SqlGraphStore, paths_between
from dlv.graph.neo4j import ensure_schema, step_query
from dlv.lineage import EdgeWriter
from dlv.lineage._schemas import ColumnMapping
from tests.integration.lineage.conftest import GraphBuilder

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)


async def _seed(sessions, node_count: int, edges: list[tuple[int, int]], retire: set[int], kinds: list[str]) -> list[UUID]:
    """Nodes 0..n-1 (kinds[i]), edges valid from T0 + i hours, the ``retire`` ones ended a day later."""
    ids = [uuid4() for _ in range(node_count)]
    async with sessions() as session:
        for index, node_id in enumerate(ids):
            model = DataAsset if kinds[index] == ASSET else Process
            session.add(model(id=node_id, namespace="prop", name=f"n{index}", tags=[], **({"fields": []} if model is DataAsset else {})))
        await session.flush()
        writer = EdgeWriter(session)
        for number, (a, b) in enumerate(edges):
            columns = [ColumnMapping(source_field=f"c{number % 3}", target_field=f"c{(number + 1) % 3}")] if number % 2 else []
            edge, _ = await writer.add((ids[a], kinds[a]), (ids[b], kinds[b]), columns, "manual", at=T0 + timedelta(hours=number))
            if number in retire:
                await writer.retire([edge.id], at=T0 + timedelta(hours=number, days=1))
        await session.commit()
    return ids


async def _clear(sessions) -> None:
    async with sessions() as session:
        for model in (GraphOutbox, LineageEdge, DataAsset, Process):
            await session.execute(delete(model))
        await session.commit()


def _shape(traversal) -> tuple[dict, set]:
    return (
        {node_id: (reached.type, reached.depth) for node_id, reached in traversal.nodes.items()},
        {(hop.id, hop.source_id, hop.target_id) for hop in traversal.edges},
    )


@st.composite
def lineage_graphs(draw):
    node_count = draw(st.integers(2, 14))
    kinds = draw(st.lists(st.sampled_from([ASSET, ASSET, PROCESS]), min_size=node_count, max_size=node_count))
    pairs = [(a, b) for a in range(node_count) for b in range(node_count) if a != b and not (kinds[a] == kinds[b] == PROCESS)]
    acyclic = draw(st.booleans())
    if acyclic:
        pairs = [(a, b) for a, b in pairs if a < b]
    edges = draw(st.lists(st.sampled_from(pairs), max_size=30, unique=True)) if pairs else []
    retire = set(draw(st.lists(st.integers(0, max(len(edges) - 1, 0)), max_size=5))) if edges else set()
    return node_count, kinds, edges, retire


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(graph=lineage_graphs(), seed=st.integers(0, 10_000))
async def test_neo4j_and_sql_answer_the_same(graph, seed, outbox_sessions, projector, neo4j_driver) -> None:
    node_count, kinds, edges, retire = graph
    await _clear(outbox_sessions)
    await neo4j_driver.execute_query("MATCH (n) DETACH DELETE n")
    ids = await _seed(outbox_sessions, node_count, edges, retire, kinds)
    await projector.catch_up()
    rng = random.Random(seed)
    neo4j = Neo4jGraphStore(neo4j_driver)
    async with outbox_sessions() as session:
        sql = SqlGraphStore(session)
        for _ in range(6):
            start = rng.randrange(node_count)
            direction = rng.choice(["upstream", "downstream", "both"])
            depth = rng.choice([0, 1, 2, 3, 10])
            as_of = rng.choice([None, None, T0 + timedelta(hours=rng.randrange(0, 40))])
            max_nodes = rng.choice([2, 5, 5000])  # small caps: the same nearest nodes kept, both truncated
            starts = {ids[start]: kinds[start]}
            expected = await sql.traverse(starts, direction, depth, as_of=as_of, max_nodes=max_nodes)
            actual = await neo4j.traverse(starts, direction, depth, as_of=as_of, max_nodes=max_nodes)
            assert _shape(actual) == _shape(expected), (start, direction, depth, as_of, max_nodes)
            assert actual.truncated == expected.truncated
            assert actual.source == "neo4j"
            end = rng.randrange(node_count)
            ends = ({ids[start]: kinds[start]}, {ids[end]: kinds[end]})
            sql_paths, sql_complete = await paths_between(sql, *ends, depth, as_of=as_of, max_nodes=5000)
            neo4j_paths, neo4j_complete = await paths_between(neo4j, *ends, depth, as_of=as_of, max_nodes=5000)
            assert (_shape(neo4j_paths), neo4j_complete) == (_shape(sql_paths), sql_complete), (start, end, depth, as_of)


async def test_column_mappings_are_projected(outbox_sessions, projector, neo4j_driver) -> None:
    ids = await _seed(outbox_sessions, 2, [(0, 1), (1, 0)], set(), [ASSET, ASSET])

    await projector.catch_up()

    result = await neo4j_driver.execute_query(
        "MATCH (a:Lineage {id: $a})-[r:FLOWS_TO]->(b) RETURN r.columns AS columns", a=str(ids[1])
    )
    assert result.records[0]["columns"] == '[{"source_field": "c1", "target_field": "c2"}]'


async def test_each_level_finds_its_frontier_through_the_id_constraint(neo4j_driver, projector, outbox_sessions) -> None:
    # A label scan per level would make every traversal cost the whole graph.
    ids = await _seed(outbox_sessions, 30, [(i, i + 1) for i in range(29)], set(), [ASSET] * 30)
    await ensure_schema(neo4j_driver)  # as DLV's start-up does
    await projector.catch_up()
    await neo4j_driver.execute_query("CALL db.resampleOutdatedIndexes()")
    await neo4j_driver.execute_query("CALL db.awaitIndexes()")

    for forward in (True, False):
        for as_of in (None, T0):
            result = await neo4j_driver.execute_query("EXPLAIN " + step_query(forward, as_of), frontier=[str(ids[0])], as_of=0)
            operators = []
            pending = [result.summary.plan]
            while pending:
                plan = pending.pop()
                operators.append(plan["operatorType"])
                pending.extend(plan.get("children", []))
            assert any(op.startswith("NodeUniqueIndexSeek") for op in operators), "; ".join(operators)
            assert not any("Scan" in op for op in operators), operators


async def test_a_dense_diamond_at_depth_ten_lists_each_node_once(outbox_sessions, projector, neo4j_driver) -> None:
    layers = 11
    width = 5
    edges = [(layer * width + a, (layer + 1) * width + b) for layer in range(layers - 1) for a in range(width) for b in range(width)]
    ids = await _seed(outbox_sessions, layers * width, edges, set(), [ASSET] * (layers * width))
    await projector.catch_up()

    traversal = await Neo4jGraphStore(neo4j_driver).traverse({ids[0]: ASSET}, "downstream", 10)

    assert len(traversal.nodes) == 1 + width * 10
    assert max(reached.depth for reached in traversal.nodes.values()) == 10
    assert len(traversal.edges) == width + width * width * 9


async def test_rebuild_gives_the_same_graph_as_incremental_projection(outbox_sessions, projector, neo4j_driver) -> None:
    ids = await _seed(outbox_sessions, 6, [(0, 1), (1, 2), (2, 3), (3, 4), (1, 5)], {2}, [ASSET] * 6)
    await projector.catch_up()
    store = Neo4jGraphStore(neo4j_driver)
    incremental = [_shape(await store.traverse({ids[0]: ASSET}, "downstream", 10, as_of=moment)) for moment in (None, T0 + timedelta(hours=3))]

    copied = await projector.rebuild()

    assert copied == 5
    rebuilt = [_shape(await store.traverse({ids[0]: ASSET}, "downstream", 10, as_of=moment)) for moment in (None, T0 + timedelta(hours=3))]
    assert rebuilt == incremental
    assert await projector.lag() == 0


async def test_graph_endpoints_answer_from_neo4j_once_projected(neo4j_client, session_factory, neo4j_settings) -> None:
    from tests.conftest import ADMIN_PASSWORD, create_user, login

    await create_user(session_factory, "admin", ADMIN_PASSWORD, "admin")
    headers = await login(neo4j_client, "admin", ADMIN_PASSWORD)
    lineage = GraphBuilder(neo4j_client, headers)
    await lineage.build([("a", "p_x"), ("p_x", "b"), ("b", "c")])

    for _ in range(100):
        health = (await neo4j_client.get("/health")).json()
        if health["outbox_lag"] == 0 and health["neo4j"] == "ok":
            break
        await asyncio.sleep(0.1)
    graph = await lineage.graph("a", direction="downstream", depth=5)

    assert graph["source"] == "neo4j"
    assert lineage.names(graph) == {"a": 0, "p_x": 1, "b": 2, "c": 3}
    impact = await neo4j_client.get("/api/lineage/impact", params={"node_id": lineage.ids["a"]}, headers=headers)
    assert impact.json()["source"] == "neo4j" and impact.json()["summary"]["total"] == 3
    folded = await lineage.graph("a", direction="downstream", depth=5, hide_kinds="process")
    assert folded["source"] == "neo4j" and lineage.edge_names(folded) == {("a", "b"), ("b", "c")}
    paths = await neo4j_client.get("/api/lineage/paths", params={"from_id": lineage.ids["a"], "to_id": lineage.ids["c"]}, headers=headers)
    assert paths.json()["source"] == "neo4j" and set(lineage.names(paths.json())) == {"a", "p_x", "b", "c"}
