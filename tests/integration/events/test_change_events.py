"""Run-state and lineage-change events, and that every event is sent only once the change it
reports is committed (never for a rolled-back one)."""

from __future__ import annotations

from typing import Any

from litestar import Litestar

from dlv.db.models import Node
from dlv.events import Event, EventBroker, Subscription, publish_after_commit, publish_node_status
from tests.integration.discovery.test_postgresql_discovery import source_database  # noqa: F401 - fixture
from tests.integration.nodes.conftest import Client, create_node
from tests.integration.openlineage.conftest import ingest_headers, post, run_event  # noqa: F401 - fixture

WAREHOUSE = "postgres://db:5432"


def drain(subscription: Subscription) -> list[tuple[str, dict[str, Any]]]:
    received = []
    while not subscription.queue.empty():
        event = subscription.queue.get_nowait()
        received.append((event.type, event.data))
    return received


async def test_an_event_waits_for_its_transaction_and_is_dropped_on_rollback(session_factory) -> None:
    broker = EventBroker()
    heard = broker.subscribe()

    async with session_factory() as session:
        node = Node(name="a", type="api", config={}, tags=[], secrets_set=[])
        session.add(node)
        await session.flush()
        publish_after_commit(broker, session, Event(type="x", data={"n": 1}))
        assert drain(heard) == []
        await session.commit()
        assert drain(heard) == [("x", {"n": 1})]

        node.status = "error"
        publish_node_status(broker, node, "unknown")  # bound to the session's transaction
        publish_after_commit(broker, session, Event(type="x", data={"n": 2}))
        await session.rollback()
        assert drain(heard) == []

    publish_after_commit(broker, None, Event(type="x", data={"n": 3}))  # no transaction: at once
    assert drain(heard) == [("x", {"n": 3})]


async def test_openlineage_events_announce_run_states_and_lineage(
    client: Client, app: Litestar, ingest_headers
) -> None:
    heard = app.state.events.subscribe()
    run_id = "0195c5f4-9a67-7bd1-b1ad-16bcd1b8a0a1"

    started = await post(client, ingest_headers, run_event("etl", run_id, "START", "2024-05-01T12:00:00Z", inputs=["src"], outputs=["dst"]))
    assert started.status_code == 201
    first = drain(heard)
    completed = await post(client, ingest_headers, run_event("etl", run_id, "COMPLETE", "2024-05-01T12:05:00Z", inputs=["src"], outputs=["dst"]))
    again = await post(client, ingest_headers, run_event("etl", run_id, "COMPLETE", "2024-05-01T12:05:00Z", inputs=["src"], outputs=["dst"]))
    second = drain(heard)

    assert completed.status_code == 201 and again.status_code == 200  # the duplicate changes nothing
    [(kind, run)] = [item for item in first if item[0] == "run.state"]
    assert run["run_id"] == run_id and (run["previous"], run["state"]) == (None, "START")
    [(_, lineage)] = [item for item in first if item[0] == "lineage.changed"]
    assert lineage["origin"] == "openlineage" and lineage["complete"] is True
    assert len(lineage["asset_ids"]) == 2 and lineage["process_ids"] == [run["process_id"]]
    assert [data for kind, data in second if kind == "run.state"] == [
        {"process_id": run["process_id"], "run_id": run_id, "state": "COMPLETE", "previous": "START"}
    ]
    assert [kind for kind, _ in second].count("lineage.changed") == 1


async def test_a_rejected_event_announces_nothing(client: Client, app: Litestar, ingest_headers) -> None:
    heard = app.state.events.subscribe()

    rejected = await post(client, ingest_headers, {"eventType": "START", "job": {"namespace": "x"}})

    assert rejected.status_code == 400
    assert drain(heard) == []


async def test_bulk_import_announces_a_lineage_change_with_counts(client: Client, app: Litestar, admin_headers) -> None:
    heard = app.state.events.subscribe()
    body = {
        "assets": [{"namespace": WAREHOUSE, "name": "src"}],
        "processes": [{"namespace": "dbt", "name": "model"}],
        "edges": [{"source": {"type": "asset", "namespace": WAREHOUSE, "name": "src"}, "target": {"type": "process", "namespace": "dbt", "name": "model"}}],
    }

    assert (await client.post("/api/lineage/bulk", json=body, headers=admin_headers)).status_code == 200
    assert (await client.post("/api/lineage/bulk", json={}, headers=admin_headers)).status_code == 200  # nothing to say

    assert drain(heard) == [
        (
            "lineage.changed",
            {
                "origin": "bulk", "asset_ids": [], "process_ids": [], "edges": 1, "complete": False,
                "assets": {"created": 1, "updated": 0}, "processes": {"created": 1, "updated": 0},
            },
        )
    ]  # fmt: skip


async def test_discovery_announces_the_status_and_the_lineage_change(
    client: Client, app: Litestar, admin_headers, source_database
) -> None:
    node = await create_node(client, admin_headers, "shop", "postgresql", source_database["config"])
    heard = app.state.events.subscribe()

    first = await client.post(f"/api/nodes/{node['id']}/discover", headers=admin_headers)
    events = drain(heard)
    again = await client.post(f"/api/nodes/{node['id']}/discover", headers=admin_headers)

    assert first.status_code == again.status_code == 200
    assert [kind for kind, _ in events] == ["node.status", "lineage.changed"]
    lineage = events[1][1]
    assert lineage["origin"] == "discovery" and lineage["node_id"] == node["id"] and lineage["complete"] is False
    assert lineage["assets"] == {"created": 8, "updated": 0, "retired": 0} and lineage["edges"] == 5
    assert drain(heard) == []  # unchanged catalog, unchanged status: no news
