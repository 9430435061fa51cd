"""Order-independence: the same OpenLineage events sent in time order, reversed or shuffled
leave the same lineage (assets with their facets and tags, processes with their parent, runs,
what each run read and wrote, the current edges with their column mappings), and `dlv replay`
of the event log leaves it too. Producers and transports deliver late and early events, so a
user must not see a different graph because of the order the network chose."""

from __future__ import annotations

import json
import random

import pytest

from dlv.openlineage import parse_event
from dlv.openlineage._service import ingest, replay
from tests.integration.openlineage.conftest import corpus_files, fixture_events, post
from tests.integration.openlineage.test_batch import START, snapshot, stream, wipe


def current(state: dict) -> dict:
    """The snapshot without edge history and the event log (which differ by design: history
    is when DLV learned a version, and order changes that)."""
    kept = {part: rows for part, rows in state.items() if part not in ("edges", "outbox", "log")}
    kept["current_edges"] = sorted(row[:4] for row in state["edges"] if row[5] == START)
    return kept


async def send(session_factory, events: list[dict]) -> dict:
    await wipe(session_factory)
    for event in events:
        async with session_factory() as session:
            await ingest(session, parse_event(json.dumps(event).encode()))
            await session.commit()
    return await snapshot(session_factory)


@pytest.mark.parametrize("seed", range(6))
async def test_any_arrival_order_and_replay_leave_the_same_lineage(session_factory, seed: int) -> None:
    events = list({json.dumps(event, sort_keys=True): event for event in stream(seed)}.values())
    in_order = sorted(events, key=lambda event: event["eventTime"])
    shuffled = random.Random(seed).sample(events, len(events))

    expected = current(await send(session_factory, in_order))
    assert expected["current_edges"] and expected["run_datasets"]
    for order in (list(reversed(in_order)), shuffled):
        assert current(await send(session_factory, order)) == expected
    async with session_factory() as session:
        await replay(session)
        await session.commit()
    assert current(await snapshot(session_factory)) == expected



async def post_all(client, session_factory, headers, events: list[dict]) -> dict:
    await wipe(session_factory)
    for event in events:
        response = await post(client, headers, event)
        assert response.status_code == 201, response.text
    return current(await snapshot(session_factory))


async def test_the_real_corpus_leaves_the_same_lineage_sent_in_order_reversed_or_shuffled(client, session_factory, ingest_headers) -> None:
    """Real Spark, Airflow, dbt, Flink, Hive, Debezium and Marquez events (with symlinks,
    CREATE/DROP lifecycle changes, parents and column lineage), through the HTTP API."""
    events = [event for name in corpus_files() for event in fixture_events(name)]
    in_order = sorted(events, key=lambda event: event["eventTime"])

    expected = await post_all(client, session_factory, ingest_headers, in_order)
    assert len(expected["processes"]) > 40 and expected["current_edges"]
    for order in (list(reversed(in_order)), random.Random(7).sample(events, len(events))):
        assert await post_all(client, session_factory, ingest_headers, order) == expected
