"""Events written to Kafka by OpenLineage's own Kafka transport land in DLV as they would
over HTTP; what DLV refuses goes to the dead-letter topic, and consumption goes on."""

from __future__ import annotations

import msgspec
from litestar.testing import AsyncTestClient
from openlineage.client.serde import Serde
from sqlalchemy import func, select

from dlv.app import create_app
from dlv.db.models import LineageEvent, Process
from dlv.kafka import dead_letter_topic, group_progress
from tests.integration.kafka.conftest import committed_everything, consumer, produce, produce_raw, read_topic, wait_for
from tests.integration.openlineage.conftest import corpus_files, fixture_events, issue_token, run_event
from tests.integration.openlineage.test_batch import snapshot, wipe


def corpus() -> list[dict]:
    return [event for name in corpus_files() for event in fixture_events(name)]


async def logged(session_factory) -> int:
    async with session_factory() as session:
        return await session.scalar(select(func.count()).select_from(LineageEvent)) or 0


async def test_the_corpus_through_kafka_leaves_what_http_leaves(client, session_factory, kafka_settings) -> None:
    events = corpus()
    headers = await issue_token(session_factory, "ingest")
    for event in events:
        # The JSON OpenLineage's transports send (its Serde drops nulls), so the event log's hashes compare too.
        sent = Serde.to_json(event)
        assert (await client.post("/api/v1/lineage", content=sent, headers={**headers, "content-type": "application/json"})).status_code == 201
    over_http = await snapshot(session_factory)
    await wipe(session_factory)

    produce(kafka_settings, events)
    async with consumer(kafka_settings) as running:
        await wait_for(lambda: committed_everything(kafka_settings, len(events)), what="every offset committed")
        assert running.counted("stored") == len(events) and running.counted("dead_lettered") == 0
        lag = [running.metrics.registry.get_sample_value("dlv_kafka_consumer_lag", {"topic": kafka_settings.kafka_topic, "partition": str(p)}) for p in range(4)]
        assert lag == [0, 0, 0, 0]

    assert await logged(session_factory) == len(events) == 97
    assert await snapshot(session_factory) == over_http
    assert await read_topic(kafka_settings, dead_letter_topic(kafka_settings), 1, timeout=3) == []


async def test_a_refused_message_goes_to_the_dead_letter_topic_and_the_next_event_is_consumed(session_factory, kafka_settings) -> None:
    before = run_event("orders_etl", "run-1", "START", "2024-05-01T12:00:00Z", inputs=["raw.orders"])
    after = run_event("orders_etl", "run-1", "COMPLETE", "2024-05-01T12:05:00Z", inputs=["raw.orders"], outputs=["mart.orders"])
    no_run = {key: value for key, value in before.items() if key != "run"}
    produce(kafka_settings, [before])
    produce_raw(kafka_settings, [b"{not json", b"[1, 2]"])
    produce(kafka_settings, [no_run, after])

    async with consumer(kafka_settings) as running:
        await wait_for(lambda: committed_everything(kafka_settings, 5), what="every offset committed")
        assert running.counted("stored") == 2 and running.counted("dead_lettered") == 3

    dead = await read_topic(kafka_settings, dead_letter_topic(kafka_settings), 3)
    reasons = {record.value: dict(record.headers)["dlv-error"].decode() for record in dead}
    assert set(reasons) == {b"{not json", b"[1, 2]", next(value for value in reasons if b"orders_etl" in value)}
    assert "is not valid JSON" in reasons[b"{not json"]
    assert "must be a JSON object" in reasons[b"[1, 2]"]
    (refused,) = [reason for value, reason in reasons.items() if b"orders_etl" in value]
    assert "run" in refused  # names the missing field
    assert all(dict(record.headers)["dlv-source"].startswith(kafka_settings.kafka_topic.encode()) for record in dead)

    assert await logged(session_factory) == 2
    async with session_factory() as session:
        job = await session.scalar(select(Process).where(Process.name == "orders_etl"))
    assert job is not None and job.last_run_state == "COMPLETE"
    assert sum(item.lag for item in await group_progress(kafka_settings)) == 0


async def test_dlv_serve_with_kafka_consume_ingests_from_the_topic_and_reports_it_in_metrics(session_factory, kafka_settings) -> None:
    settings = msgspec.structs.replace(kafka_settings, kafka_consume=True)
    events = [
        run_event("orders_etl", "run-7", "START", "2024-05-01T12:00:00Z", inputs=["raw.orders"]),
        run_event("orders_etl", "run-7", "COMPLETE", "2024-05-01T12:05:00Z", inputs=["raw.orders"], outputs=["mart.orders"]),
    ]
    produce(settings, events)
    async with AsyncTestClient(app=create_app(settings)) as client:  # runs the app's lifespans, the consumer's too
        await wait_for(lambda: committed_everything(settings, 2), what="the serve task to commit")
        headers = await issue_token(session_factory, "viewer")
        page = (await client.get("/api/v1/events/lineage", params={"job_name": "orders_etl"}, headers=headers)).json()
        metrics = (await client.get("/metrics")).text
    assert page["total"] == 2
    assert 'dlv_kafka_messages_total{outcome="stored"} 2.0' in metrics
    lag = [line for line in metrics.splitlines() if line.startswith("dlv_kafka_consumer_lag{") and settings.kafka_topic in line]
    assert lag and all(line.endswith(" 0.0") for line in lag)
