"""Order-independence: the same OpenLineage events sent in time order, reversed or shuffled
leave the same lineage (assets with their facets and tags, processes with their parent, runs,
what each run read and wrote, the current edges with their column mappings), and `dlv replay`
of the event log leaves it too. Sent reversed, and replayed, they also leave the same history:
`as_of` answers the same at every event's time and a minute after. Producers and transports
deliver late and early events, so a user must not see a different graph because of the order
the network chose."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta

import pytest

from dlv.openlineage import parse_event
from dlv.openlineage._service import ingest, replay
from tests.integration.openlineage.conftest import corpus_files, fixture_events, post
from tests.integration.openlineage.test_batch import START, snapshot, stream, wipe


def current(state: dict) -> dict:
    """The snapshot without edge history and the event log (compared apart: ``as_of``)."""
    kept = {part: rows for part, rows in state.items() if part not in ("edges", "outbox", "log")}
    kept["current_edges"] = sorted(row[:4] for row in state["edges"] if row[5] == START)
    return kept


def as_of(state: dict, instants: list[datetime]) -> dict:
    """The edges (ends and column mappings) current at each instant, from the edge history."""
    def current_at(row: tuple, instant: datetime) -> bool:
        return row[4] <= instant and (row[5] == START or instant < row[5])

    return {instant: sorted(row[:4] for row in state["edges"] if current_at(row, instant)) for instant in instants}


def instants(events: list[dict]) -> list[datetime]:
    """Each event's time and a minute after it: history is asked where it changes and between."""
    times = sorted({datetime.fromisoformat(event["eventTime"].replace("Z", "+00:00")) for event in events})
    return sorted({*times, *(time + timedelta(minutes=1) for time in times)})


def assert_same_history(state: dict, expected: dict) -> None:
    """Names the first instant whose edges differ, with what is missing and what is extra."""
    for instant, edges in as_of(state, list(expected)).items():
        missing = [edge for edge in expected[instant] if edge not in edges]
        extra = [edge for edge in edges if edge not in expected[instant]]
        assert not missing and not extra, f"as of {instant}: missing {missing}, extra {extra}"


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

    sampled = instants(events)
    in_time_order = await send(session_factory, in_order)
    expected, history = current(in_time_order), as_of(in_time_order, sampled)
    assert expected["current_edges"] and expected["run_datasets"]
    reversed_state = await send(session_factory, list(reversed(in_order)))
    assert current(reversed_state) == expected
    assert_same_history(reversed_state, history)
    # Shuffled, the current graph is the same; history may differ where a late COMPLETE of one
    # run arrives after a newer run re-reported an edge an older run made (an edge version
    # does not record when a run carried it over).
    assert current(await send(session_factory, shuffled)) == expected
    async with session_factory() as session:
        await replay(session)
        await session.commit()
    state = await snapshot(session_factory)
    assert current(state) == expected
    assert_same_history(state, history)



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
