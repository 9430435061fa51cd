"""Leadership against the real PostgreSQL, in process: which duty's work runs where, what
happens when the lock connection dies, and the migration lock."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import asyncpg
from alembic.script import ScriptDirectory

from dlv.db.migrate import MIGRATION_LOCK_ID, alembic_config, upgrade_async
from dlv.lib.leadership import LOCK_KEYS, Leadership, postgres_connect
from tests.integration.leadership.conftest import raw_connection, wait_for

RETRY = 0.2  # fast retries keep these tests short; the waits below allow for many of them
WAIT_SECONDS = 20


class Work:
    """A duty's work that records when it starts and stops, in a timeline it may share."""

    def __init__(self, name: str = "work", timeline: list[str] | None = None) -> None:
        self.name = name
        self.timeline = [] if timeline is None else timeline
        self.running = False

    @property
    def starts(self) -> int:
        return self.timeline.count(f"start {self.name}")

    @contextlib.asynccontextmanager
    async def __call__(self) -> AsyncIterator[None]:
        assert not self.running, "started twice"
        self.running = True
        self.timeline.append(f"start {self.name}")
        try:
            yield
        finally:
            self.running = False
            self.timeline.append(f"stop {self.name}")


@contextlib.asynccontextmanager
async def competing(leadership: Leadership) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(leadership.run())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def lock_holders(connection: asyncpg.Connection, key: int) -> list[int]:
    """Backends holding (granted) or waiting for (not granted) a bigint advisory lock, as pid * ±1."""
    rows = await connection.fetch(
        "SELECT pid, granted FROM pg_locks WHERE locktype = 'advisory' AND classid = $1 AND objid = $2 AND objsubid = 1"
        " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        key >> 32,
        key & 0xFFFFFFFF,
    )
    return [row["pid"] if row["granted"] else -row["pid"] for row in rows]


async def test_exactly_one_of_two_leads_and_the_other_takes_over_when_it_stops(fresh_database: str) -> None:
    timeline: list[str] = []
    works = [Work("a", timeline), Work("b", timeline)]
    leaderships = [Leadership("scheduler", work, postgres_connect(fresh_database), retry_seconds=RETRY) for work in works]
    async with competing(leaderships[0]) as task_a, competing(leaderships[1]) as task_b:
        await wait_for(lambda: _any(leaderships), WAIT_SECONDS, "a leader")
        await asyncio.sleep(5 * RETRY)  # the follower tries several times meanwhile
        assert sorted(lead.is_leader for lead in leaderships) == [False, True]
        leader, follower = (0, 1) if leaderships[0].is_leader else (1, 0)
        assert timeline == [f"start {works[leader].name}"]

        (task_a, task_b)[leader].cancel()  # the leader shuts down
        await wait_for(lambda: _is(leaderships[follower]), WAIT_SECONDS, "the other taking over")
        # Its work stopped before it let go of the lock, so the two never overlapped.
        assert timeline == [f"start {works[leader].name}", f"stop {works[leader].name}", f"start {works[follower].name}"]


async def test_a_leader_whose_connection_dies_stops_its_work_and_leads_again(fresh_database: str) -> None:
    work = Work()
    leadership = Leadership("projector", work, postgres_connect(fresh_database), retry_seconds=RETRY)
    observer = await raw_connection(fresh_database)
    try:
        async with competing(leadership):
            await wait_for(lambda: _is(leadership), WAIT_SECONDS, "leading")
            [pid] = await lock_holders(observer, LOCK_KEYS["projector"])

            assert await observer.fetchval("SELECT pg_terminate_backend($1)", pid)

            await wait_for(lambda: _started_twice(work), WAIT_SECONDS, "the work stopped and started again")
            assert work.timeline == ["start work", "stop work", "start work"]
            assert leadership.is_leader
            [new_pid] = await lock_holders(observer, LOCK_KEYS["projector"])
            assert new_pid != pid
        assert not work.running and await lock_holders(observer, LOCK_KEYS["projector"]) == []  # released at shutdown
    finally:
        await observer.close()


async def test_a_follower_does_no_work_while_another_session_holds_the_lock(fresh_database: str) -> None:
    holder = await raw_connection(fresh_database)
    work = Work()
    leadership = Leadership("scheduler", work, postgres_connect(fresh_database), retry_seconds=RETRY)
    try:
        assert await holder.fetchval("SELECT pg_try_advisory_lock($1)", LOCK_KEYS["scheduler"])
        async with competing(leadership):
            await asyncio.sleep(10 * RETRY)
            assert not leadership.is_leader and work.starts == 0
            await holder.close()  # the other process dies
            await wait_for(lambda: _is(leadership), WAIT_SECONDS, "leading once the lock is free")
            assert work.running
    finally:
        await holder.close()


async def test_without_postgresql_the_process_always_leads() -> None:
    work = Work()
    leadership = Leadership("scheduler", work, None, retry_seconds=RETRY)
    async with competing(leadership):
        await wait_for(lambda: _is(leadership), WAIT_SECONDS, "leading")
        assert work.running
    assert not work.running and not leadership.is_leader


async def test_a_migration_waits_for_the_migration_lock(fresh_database: str) -> None:
    holder = await raw_connection(fresh_database)
    try:
        await holder.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_ID)
        migration = asyncio.create_task(upgrade_async(fresh_database))

        async def waiting() -> bool:
            return any(pid < 0 for pid in await lock_holders(holder, MIGRATION_LOCK_ID))

        await wait_for(waiting, WAIT_SECONDS, "the migration waiting for the lock")
        assert not migration.done()
        assert await holder.fetchval("SELECT to_regclass('alembic_version')") is None  # nothing migrated yet

        await holder.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_ID)
        await asyncio.wait_for(migration, WAIT_SECONDS * 3)
        head = ScriptDirectory.from_config(alembic_config(fresh_database)).get_current_head()
        assert await holder.fetchval("SELECT version_num FROM alembic_version") == head
    finally:
        await holder.close()


async def _any(leaderships: list[Leadership]) -> bool:
    return any(lead.is_leader for lead in leaderships)


async def _is(leadership: Leadership) -> bool:
    return leadership.is_leader


async def _started_twice(work: Work) -> bool:
    return work.running and work.starts == 2


async def test_health_reports_the_scheduler_and_alerts_led_by_a_lone_process(client) -> None:
    async def leading() -> dict[str, bool]:
        body = (await client.get("/health")).json()
        return body if body["leader"].get("scheduler") and body["leader"].get("alerts") else {}

    body = await wait_for(leading, WAIT_SECONDS, "the lone process leading the scheduler and the alert dispatcher")
    assert body["leader"] == {"scheduler": True, "alerts": True}  # no Neo4j configured: no projector duty
    assert body["status"] == "ok" and body["database"] == "ok"
