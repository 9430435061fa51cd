"""At least once, exactly one effect: a consumer SIGKILLed mid-stream, PostgreSQL restarted
under load, and two consumers sharing the partitions lose no event and double none."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import httpx
import pytest
from openlineage.client.serde import Serde
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine
from sqlalchemy.pool import NullPool

from bench.ingest_bench import spark_event
from dlv.config import Settings
from dlv.db.migrate import upgrade
from dlv.kafka import dead_letter_topic, group_progress
from tests.conftest import SECRET_KEY
from tests.integration.kafka.conftest import committed_everything, consumer, produce, read_topic, repository_root, wait_for, with_topic
from tests.integration.kafka.test_consume import logged
from tests.integration.openlineage.conftest import issue_token
from tests.integration.openlineage.test_batch import snapshot, wipe
from tests.services.postgres import PostgresServer, free_port
from tests.services.processes import stop

JOBS = 16


def spark_runs(events: int) -> list[dict]:
    """START and COMPLETE of events/2 runs over JOBS jobs (bench/ingest_bench.py's events)."""
    start = datetime(2024, 6, 1, tzinfo=timezone.utc)
    made = []
    for index in range(events // 2):
        job, run = index % JOBS, index // JOBS
        when = start + timedelta(minutes=10 * run)
        made += [spark_event(job, run, "START", when), spark_event(job, run, "COMPLETE", when + timedelta(minutes=5))]
    return made


def dlv_consume(settings: Settings, metrics_port: int) -> subprocess.Popen:
    env = {
        **os.environ, "DLV_DATABASE_URL": settings.database_url, "DLV_SECRET_KEY": settings.secret_key, "DLV_DATA_DIR": str(settings.data_dir),
        "DLV_KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap_servers or "", "DLV_KAFKA_TOPIC": settings.kafka_topic,
        "DLV_KAFKA_GROUP_ID": settings.kafka_group_id, "DLV_LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "dlv.cli", "consume", "kafka", "--metrics-port", str(metrics_port)]
    return subprocess.Popen(command, env=env, cwd=repository_root(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


async def scrape(port: int, outcome: str) -> float:
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
    (line,) = [line for line in text.splitlines() if line.startswith(f'dlv_kafka_messages_total{{outcome="{outcome}"}}')] or ["x 0"]
    return float(line.split()[-1])


async def post_in_job_order(client, session_factory, events: list[dict]) -> None:
    """Over HTTP, the JSON the Kafka transport sent; a job's events in order, jobs in parallel."""
    headers = {**await issue_token(session_factory, "ingest"), "content-type": "application/json"}
    streams: dict[str, list[dict]] = {}
    for event in events:
        streams.setdefault(event["job"]["name"], []).append(event)

    async def send(stream: list[dict]) -> None:
        for event in stream:
            response = await client.post("/api/v1/lineage", content=Serde.to_json(event), headers=headers)
            assert response.status_code == 201, response.text

    await asyncio.gather(*(send(stream) for stream in streams.values()))


async def test_a_consumer_killed_mid_stream_loses_nothing_and_doubles_nothing(client, session_factory, kafka_settings) -> None:
    events = spark_runs(1200)
    produce(kafka_settings, events)
    port = free_port()
    first = dlv_consume(kafka_settings, port)
    try:
        await wait_for(lambda: _at_least(session_factory, 150), what="the first consumer to store events")
        first.send_signal(signal.SIGKILL)
        first.wait(10)
    finally:
        stop(first)
    stored_before = await logged(session_factory)
    committed_before = sum(item.committed or 0 for item in await group_progress(kafka_settings))
    assert stored_before < len(events), "the consumer was not killed mid-stream"

    second = dlv_consume(kafka_settings, port)
    try:
        await wait_for(lambda: committed_everything(kafka_settings, len(events)), what="the restarted consumer to commit everything")
        stored, duplicates = await scrape(port, "stored"), await scrape(port, "duplicate")
    finally:
        stop(second)
    # What was committed is not consumed again; what was stored but not committed is, and is recognised.
    assert stored == len(events) - stored_before
    assert stored + duplicates == len(events) - committed_before
    assert await logged(session_factory) == len(events)
    through_kafka = await snapshot(session_factory)

    await wipe(session_factory)
    await post_in_job_order(client, session_factory, events)
    assert through_kafka == await snapshot(session_factory)

    status = subprocess.run(
        [sys.executable, "-m", "dlv.cli", "consume", "status"], capture_output=True, text=True, cwd=repository_root(), timeout=60,
        env={**os.environ, "DLV_DATA_DIR": str(kafka_settings.data_dir), "DLV_KAFKA_BOOTSTRAP_SERVERS": kafka_settings.kafka_bootstrap_servers or "",
             "DLV_KAFKA_TOPIC": kafka_settings.kafka_topic, "DLV_KAFKA_GROUP_ID": kafka_settings.kafka_group_id, "DLV_LOG_LEVEL": "ERROR"},
    )
    assert status.returncode == 0, status.stderr
    assert "total lag: 0" in status.stdout and status.stdout.count("\n") == 2 + 4 + 1


async def _at_least(session_factory, count: int) -> bool:
    return await logged(session_factory) >= count


async def test_two_consumers_share_the_partitions_and_store_every_event_once(session_factory, kafka_settings) -> None:
    events = spark_runs(400)
    async with consumer(kafka_settings) as one, consumer(kafka_settings) as two:
        await wait_for(lambda: _both_assigned(one, two), what="both consumers to get partitions")
        produce(kafka_settings, events)
        await wait_for(lambda: committed_everything(kafka_settings, len(events)), what="every offset committed")
        owned = [{tp.partition for tp in running.ingest.consumer.assignment()} for running in (one, two)]
        counted = [running.counted("stored") for running in (one, two)]
    assert owned[0] and owned[1] and not owned[0] & owned[1] and owned[0] | owned[1] == {0, 1, 2, 3}
    assert all(counted) and sum(counted) == len(events)
    assert await logged(session_factory) == len(events)


async def _both_assigned(*running) -> bool:
    return all(item.ingest.consumer.assignment() for item in running)


@pytest.fixture(scope="module")
def restartable_postgres() -> Iterator[PostgresServer]:
    """A PostgreSQL of this module's own: restarting the session's would disturb other tests."""
    with PostgresServer() as server:
        yield server


async def test_postgresql_restarted_under_load_pauses_consumption_and_dead_letters_nothing(restartable_postgres, kafka_server, tmp_path) -> None:
    """PostgreSQL only: SQLite has no server to restart."""
    url = restartable_postgres.create_database("dlv_kafka_restart")
    await asyncio.to_thread(upgrade, url)
    settings = await with_topic(Settings(data_dir=tmp_path, database_url=url, secret_key=SECRET_KEY), kafka_server)
    engine = create_async_engine(url, poolclass=NullPool)
    factory = async_sessionmaker(engine, expire_on_commit=False)
    events = spark_runs(3000)
    produce(settings, events)
    waited = False
    try:
        async with consumer(settings) as running:
            await wait_for(lambda: _at_least(factory, 100), what="the consumer to store events")
            restart = asyncio.create_task(asyncio.to_thread(_restart, restartable_postgres))
            while not restart.done():
                waited = waited or running.metrics.registry.get_sample_value("dlv_kafka_waiting_for_database") == 1
                await asyncio.sleep(0.05)
            await restart
            await wait_for(lambda: committed_everything(settings, len(events)), timeout=180, what="every offset committed after the restart")
            assert running.counted("dead_lettered") == 0
            assert running.counted("stored") + running.counted("duplicate") >= len(events)
        assert waited, "the consumer never noticed the database was down"
        assert await logged(factory) == len(events)
        assert await read_topic(settings, dead_letter_topic(settings), 1, timeout=3) == []
    finally:
        await engine.dispose()


def _restart(server: PostgresServer) -> None:
    server.stop()
    time.sleep(3)  # long enough for the consumer's retries to find it down
    server.restart()
