"""POST /api/v1/lineage behaviour: idempotency, order, runs and stale lineage, life cycle,
catalog links, gzip, size limit, the event log and its replay."""

from __future__ import annotations

import gzip
import json
from uuid import UUID

from sqlalchemy import select

from dlv.db.models import AssetAlias, DataAsset, LineageEdge, LineageEvent, Node, Process, Run
from dlv.openlineage import replay
from tests.integration.openlineage.conftest import post, row_counts, run_event

T0, T1, T2, T3 = "2024-06-01T10:00:00Z", "2024-06-01T10:05:00Z", "2024-06-02T10:00:00Z", "2024-06-02T10:05:00Z"
COLUMNS = {
    "columnLineage": {
        "fields": {"total": {"inputFields": [{"namespace": "postgres://db:5432", "name": "orders", "field": "amount",
                                              "transformations": [{"type": "DIRECT", "subtype": "AGGREGATION"}]}]}}
    }
}


def output(name: str, **facets) -> dict:
    return {"namespace": "postgres://db:5432", "name": name, "facets": facets}


async def snapshot(session_factory) -> dict:
    """Everything the mapping decides, without ids or server-side timestamps."""
    async with session_factory() as session:
        names = {a.id: a.name for a in await session.scalars(select(DataAsset))} | {
            p.id: p.name for p in await session.scalars(select(Process))
        }
        edges = sorted(
            (names[e.source_id], names[e.target_id], json.dumps([{**m, "source_asset_id": names.get(UUID(m["source_asset_id"]))} for m in e.columns], sort_keys=True),
             e.valid_from.isoformat(), e.valid_to.isoformat() if e.valid_to else None, e.run_id)
            for e in await session.scalars(select(LineageEdge))
        )
        runs = sorted((r.run_id, r.state, r.started_at, r.ended_at) for r in await session.scalars(select(Run)))
        health = sorted((p.name, p.last_run_state, p.last_run_at) for p in await session.scalars(select(Process)))
    return {"edges": edges, "runs": runs, "health": health, "counts": await row_counts(session_factory)}


async def test_the_same_event_twice_changes_nothing_the_second_time(client, session_factory, ingest_headers) -> None:
    event = run_event("load", "run-1", "COMPLETE", T1, inputs=["orders"], outputs=[output("totals", **COLUMNS)])
    first = await post(client, ingest_headers, event)
    before = await snapshot(session_factory)

    second = await post(client, ingest_headers, dict(reversed(list(event.items()))))  # same event, keys reordered

    assert first.status_code == 201 and first.json()["stored"] is True
    assert second.status_code == 200 and second.json()["stored"] is False
    assert await snapshot(session_factory) == before
    assert before["counts"] == {"events": 1, "assets": 2, "processes": 1, "edges": 2, "runs": 1}


async def test_complete_before_start_ends_in_the_same_state(client, session_factory, ingest_headers) -> None:
    start = run_event("load", "run-1", "START", T0, inputs=["orders"], outputs=["totals"])
    complete = run_event("load", "run-1", "COMPLETE", T1, inputs=["orders"], outputs=[output("totals", **COLUMNS)])
    for event in (start, complete):
        assert (await post(client, ingest_headers, event)).status_code == 201
    in_order = await snapshot(session_factory)
    async with session_factory() as session:  # start again from an empty lineage
        for model in (LineageEdge, Run, DataAsset, Process):
            for row in await session.scalars(select(model)):
                await session.delete(row)
        await session.commit()
    async with session_factory() as session:
        for row in await session.scalars(select(LineageEvent)):
            await session.delete(row)
        await session.commit()

    for event in (complete, start):
        assert (await post(client, ingest_headers, event)).status_code == 201

    assert await snapshot(session_factory) == in_order
    assert in_order["runs"][0][1] == "COMPLETE" and in_order["health"][0][1] == "COMPLETE"
    (_, _, _, started, _, _), = [e for e in in_order["edges"] if e[0] == "orders"]
    assert started.startswith("2024-06-01T10:00")  # the run's earliest event


async def test_a_newer_completed_run_retires_what_only_older_runs_did_and_as_of_still_shows_it(client, session_factory, ingest_headers, reader_headers) -> None:
    for event in (
        run_event("load", "run-1", "START", T0, inputs=["orders", "legacy_orders"], outputs=["totals"]),
        run_event("load", "run-1", "COMPLETE", T1),
        run_event("load", "run-2", "START", T2, inputs=["orders"]),  # a run's events accumulate:
        run_event("load", "run-2", "COMPLETE", T3, outputs=["totals"]),  # outputs come with COMPLETE
    ):
        assert (await post(client, ingest_headers, event)).status_code == 201

    async def upstream(**params) -> set[str]:
        response = await client.get(
            "/api/lineage/graph",
            params={"type": "asset", "namespace": "postgres://db:5432", "name": "totals", "direction": "upstream", "depth": 2, **params},
            headers=reader_headers,
        )
        assert response.status_code == 200, response.text
        return {node["name"] for node in response.json()["nodes"]}

    assert await upstream() == {"totals", "load", "orders"}
    assert await upstream(as_of="2024-06-01T12:00:00Z") == {"totals", "load", "orders", "legacy_orders"}
    async with session_factory() as session:
        legacy = await session.scalar(select(DataAsset).where(DataAsset.name == "legacy_orders"))
        (retired,) = await session.scalars(select(LineageEdge).where(LineageEdge.source_id == legacy.id))
    assert retired.valid_to.isoformat().startswith("2024-06-02T10:05")

    # A late event of the superseded run does not bring its lineage back.
    assert (await post(client, ingest_headers, run_event("load", "run-1", "RUNNING", "2024-06-01T10:03:00Z", inputs=["legacy_orders"]))).status_code == 201
    assert await upstream() == {"totals", "load", "orders"}


async def test_runs_carry_state_times_error_and_process_health(client, session_factory, ingest_headers) -> None:
    failing = run_event(
        "load", "run-9", "FAIL", T1,
        run={"runId": "run-9", "facets": {"errorMessage": {"message": "disk full", "programmingLanguage": "python"}}},
    )
    for event in (run_event("load", "run-9", "START", T0), failing, run_event("load", "run-9", "RUNNING", "2024-06-01T10:02:00Z")):
        assert (await post(client, ingest_headers, event)).status_code == 201

    async with session_factory() as session:
        run = await session.scalar(select(Run).where(Run.run_id == "run-9"))
        process = await session.scalar(select(Process).where(Process.name == "load"))
    assert (run.state, run.error_message) == ("FAIL", "disk full")  # a late RUNNING does not undo FAIL
    assert run.started_at.isoformat().startswith("2024-06-01T10:00") and run.ended_at.isoformat().startswith("2024-06-01T10:05")
    assert process.last_run_state == "FAIL"


async def test_symlinks_drop_and_rename(client, session_factory, ingest_headers, reader_headers) -> None:
    symlinked = output("/warehouse/orders", symlinks={"identifiers": [{"namespace": "hive://meta:9083", "name": "db.orders", "type": "TABLE"}]})
    await post(client, ingest_headers, run_event("write", "r1", "COMPLETE", T0, outputs=[symlinked]))
    # Another producer names the table, not the path: the same asset.
    await post(client, ingest_headers, run_event("read", "r2", "COMPLETE", T1, inputs=[{"namespace": "hive://meta:9083", "name": "db.orders"}]))
    # The asset carries the table name the symlink declares; looked up by its path, the graph
    # starts at the one asset.
    by_alias = await client.get(
        "/api/lineage/graph",
        params={"type": "asset", "namespace": "postgres://db:5432", "name": "/warehouse/orders", "direction": "both", "depth": 1},
        headers=reader_headers,
    )
    assert by_alias.status_code == 200, by_alias.text
    assert {node["name"] for node in by_alias.json()["nodes"]} == {"write", "db.orders", "read"}
    renamed = output("orders_v2", lifecycleStateChange={"lifecycleStateChange": "RENAME", "previousIdentifier": {"namespace": "postgres://db:5432", "name": "/warehouse/orders"}})
    await post(client, ingest_headers, run_event("rename", "r3", "COMPLETE", T2, outputs=[renamed]))
    dropped = output("orders_v2", lifecycleStateChange={"lifecycleStateChange": "DROP"})
    await post(client, ingest_headers, run_event("drop", "r4", "COMPLETE", T3, outputs=[dropped]))

    async with session_factory() as session:
        assets = list(await session.scalars(select(DataAsset)))
        aliases = {(a.namespace, a.name): a.asset_id for a in await session.scalars(select(AssetAlias))}
        edges = list(await session.scalars(select(LineageEdge)))
    (asset,) = assets  # one asset throughout: symlink, rename and drop all resolve to it
    assert asset.name == "orders_v2" and asset.deleted_at.isoformat().startswith("2024-06-02T10:05")
    assert aliases == {("hive://meta:9083", "db.orders"): asset.id, ("postgres://db:5432", "/warehouse/orders"): asset.id}
    assert len(edges) == 3 and all(edge.valid_to is not None for edge in edges)  # history kept, nothing current


async def test_data_source_links_the_asset_to_the_catalog_node_at_that_address(client, session_factory, ingest_headers) -> None:
    async with session_factory() as session:
        node = Node(name="warehouse", type="postgresql", config={"host": "db", "port": 5432, "database": "x"})
        session.add(node)
        await session.commit()
    source = output("orders", dataSource={"name": "postgres://db:5432", "uri": "postgres://db:5432/x"})

    await post(client, ingest_headers, run_event("load", "r1", "COMPLETE", T0, outputs=[source, {"namespace": "kafka://other:9092", "name": "t"}]))

    async with session_factory() as session:
        linked = {a.name: a.node_id for a in await session.scalars(select(DataAsset))}
    assert linked == {"orders": node.id, "t": None}


async def test_gzip_bodies_are_accepted_and_large_bodies_refused(client, session_factory, ingest_headers, settings) -> None:
    event = run_event("load", "r1", "COMPLETE", T0, outputs=["totals"])
    zipped = await client.post("/api/v1/lineage", content=gzip.compress(json.dumps(event).encode()), headers={**ingest_headers, "Content-Encoding": "gzip", "Content-Type": "application/json"})
    assert zipped.status_code == 201, zipped.text

    limit = settings.openlineage_max_body_bytes
    huge = run_event("load", "r2", "COMPLETE", T0, outputs=["totals"])
    huge["run"]["facets"]["padding"] = {"text": "x" * limit}
    too_big = await post(client, ingest_headers, huge)
    bomb = await client.post("/api/v1/lineage", content=gzip.compress(json.dumps(huge).encode()), headers={**ingest_headers, "Content-Encoding": "gzip"})

    assert too_big.status_code == 413 and "DLV_OPENLINEAGE_MAX_BODY_BYTES" in too_big.json()["detail"]
    assert bomb.status_code == 413
    assert (await row_counts(session_factory))["events"] == 1


async def test_the_event_log_keeps_raw_events_newest_first_and_replay_rebuilds_lineage(client, session_factory, ingest_headers, reader_headers) -> None:
    custom = run_event("load", "r1", "START", T0, inputs=["orders"], outputs=["totals"])
    custom["run"]["facets"]["acme_cost"] = {"_producer": "acme", "_schemaURL": "https://acme/cost.json", "dollars": 3}
    for event in (custom, run_event("load", "r1", "COMPLETE", T1), run_event("other", "r2", "COMPLETE", T1, outputs=["x"])):
        await post(client, ingest_headers, event)

    page = await client.get("/api/v1/events/lineage", params={"limit": 2}, headers=reader_headers)
    assert page.status_code == 200 and page.json()["total"] == 3
    assert [item["job_name"] for item in page.json()["items"]] == ["other", "load"]
    oldest = (await client.get("/api/v1/events/lineage", params={"limit": 2, "offset": 2}, headers=reader_headers)).json()["items"]
    assert oldest[0]["event"]["run"]["facets"]["acme_cost"]["dollars"] == 3  # custom facets are kept
    by_run = await client.get("/api/v1/events/lineage", params={"run_id": "r1"}, headers=reader_headers)
    assert by_run.json()["total"] == 2

    before = await snapshot(session_factory)
    async with session_factory() as session:
        await session.execute(LineageEdge.__table__.delete())
        await session.commit()
        assert await replay(session) == 3
        await session.commit()
    after = await snapshot(session_factory)
    assert after["edges"] == before["edges"] and after["runs"] == before["runs"] and after["health"] == before["health"]
