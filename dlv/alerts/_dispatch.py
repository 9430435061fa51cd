"""The dispatcher: one asyncio task, in the one process leading the ``alerts`` duty
(dlv.lib.leadership), that every DLV_ALERT_DISPATCH_INTERVAL_SECONDS

1. fires freshness alerts (assets not written, processes not completed, for longer than
   their rule allows) and resolves alerts whose subject recovered;
2. builds the body of newly fired alerts (with their downstream impact);
3. delivers what is due, recording each attempt; a failed delivery is tried again with
   exponential backoff (RETRY_FIRST_SECONDS doubling up to RETRY_MAX_SECONDS) until it
   works or RETRY_WINDOW has passed since the alert fired.

Delivery is at least once: the outbox rows are committed with their cause, and a delivery
is marked done only after the receiver accepted it, so a process killed in between sends
that alert again (receivers dedupe by its id) and a receiver that was down gets it later.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta, timezone
from typing import Any
from uuid import UUID, uuid4

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from dlv.alerts._channels import full_config
from dlv.alerts._freshness import evaluate_freshness, resolve_recovered
from dlv.alerts._payload import build_payload
from dlv.alerts._senders import Outcome, send
from dlv.config import Settings
from dlv.connectors import NetworkPolicy
from dlv.db.models import AlertAttempt, AlertChannel, AlertDelivery, AlertEvent, AlertRule
from dlv.lib.crypto import SecretBox, SecretsUnreadable

logger = logging.getLogger("dlv.alerts")

RETRY_FIRST_SECONDS = 2.0
RETRY_MAX_SECONDS = 900.0
RETRY_WINDOW = timedelta(hours=25)  # at least 24 h of retries
BATCH = 50
CONCURRENCY = 8
FRESHNESS_EVERY_SECONDS = 10.0


def backoff(attempts: int) -> timedelta:
    """How long to wait after the ``attempts``-th failure."""
    return timedelta(seconds=min(RETRY_FIRST_SECONDS * 2 ** (attempts - 1), RETRY_MAX_SECONDS))


class Dispatcher:
    def __init__(self, sessions: async_sessionmaker[AsyncSession], settings: Settings) -> None:
        self._sessions = sessions
        self._settings = settings
        self._box = SecretBox(settings.secret_key)
        self._policy = NetworkPolicy(block_private_networks=settings.block_private_networks)
        self._slots = asyncio.Semaphore(CONCURRENCY)
        self._freshness_at = 0.0

    @asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        task = asyncio.create_task(self._run(), name="dlv-alert-dispatcher")
        try:
            yield
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _run(self) -> None:
        while True:
            await self.tick()
            await asyncio.sleep(self._settings.alert_dispatch_interval_seconds)

    async def tick(self) -> None:
        """One round; a failing step is logged and tried again next round."""
        for step in (self._watch, self._materialize, self._deliver_due):
            try:
                await step()
            except Exception:  # the database may be briefly away
                logger.exception("alert dispatcher step %s failed", step.__name__)

    async def _watch(self) -> None:
        now = asyncio.get_running_loop().time()
        if now - self._freshness_at < FRESHNESS_EVERY_SECONDS:
            return
        self._freshness_at = now
        async with self._sessions() as session:
            await evaluate_freshness(session)
            await resolve_recovered(session)
            await session.commit()

    async def _materialize(self) -> None:
        async with self._sessions() as session:
            new = (await session.scalars(select(AlertEvent.id).where(AlertEvent.payload.is_(None)).order_by(AlertEvent.occurred_at).limit(BATCH))).all()
        for alert_id in new:
            try:
                await self._prepare(alert_id, impact=True)
            except Exception:  # a traversal that times out must not hold the alert back
                logger.exception("the downstream impact of alert %s could not be computed; it is sent without", alert_id)
                await self._prepare(alert_id, impact=False)

    async def _prepare(self, alert_id: UUID, *, impact: bool) -> None:
        """Store the alert's body, in a transaction of its own."""
        async with self._sessions() as session:
            alert = await session.get(AlertEvent, alert_id)
            if alert is None or alert.payload is not None:
                return
            notify = bool(alert.rule_id and await session.scalar(select(AlertRule.notify_downstream_owners).where(AlertRule.id == alert.rule_id)))
            alert.payload = await build_payload(session, alert, notify, self._settings, impact=impact)
            await session.commit()

    async def _deliver_due(self) -> None:
        now = datetime.now(timezone.utc)
        async with self._sessions() as session:
            due = (
                await session.execute(
                    select(AlertDelivery.id, AlertDelivery.attempts, AlertEvent.payload, AlertEvent.occurred_at, AlertChannel)
                    .join(AlertEvent, AlertEvent.id == AlertDelivery.alert_id)
                    .outerjoin(AlertChannel, AlertChannel.id == AlertDelivery.channel_id)
                    .where(AlertDelivery.state == "pending", AlertDelivery.next_attempt_at <= now, AlertEvent.payload.is_not(None))
                    .order_by(AlertDelivery.next_attempt_at)
                    .limit(BATCH)
                )
            ).all()
        await asyncio.gather(*(self._deliver(*row) for row in due))

    async def _deliver(self, delivery_id: UUID, attempts: int, payload: dict[str, Any], occurred_at: datetime, channel: AlertChannel | None) -> None:
        async with self._slots:
            outcome = await self._attempt(payload, channel)
        async with self._sessions() as session:
            await record(session, delivery_id, attempts, outcome, occurred_at)
            await session.commit()

    async def _attempt(self, payload: dict[str, Any], channel: AlertChannel | None) -> Outcome:
        if channel is None:
            return Outcome(ok=False, message="the channel was deleted", final=True)
        try:
            config = full_config(channel, self._box)
        except SecretsUnreadable as exc:
            return Outcome(ok=False, message=f"cannot read the channel's secrets: {exc}")
        return await send(channel.kind, config, payload, self._settings, self._policy)


async def record(session: AsyncSession, delivery_id: UUID, attempts: int, outcome: Outcome, occurred_at: datetime) -> None:
    """Store an attempt and what it means for its delivery (done, retry later, or give up)."""
    now = datetime.now(timezone.utc)
    session.add(AlertAttempt(id=uuid4(), delivery_id=delivery_id, attempted_at=now, ok=outcome.ok, status_code=outcome.status_code, message=outcome.message[:2000]))
    attempts += 1
    if outcome.ok:
        values: dict[str, Any] = {"state": "delivered", "delivered_at": now, "last_error": None}
    elif outcome.final or now + backoff(attempts) - occurred_at > RETRY_WINDOW:
        values = {"state": "failed", "last_error": outcome.message[:2000]}
    else:
        values = {"next_attempt_at": now + backoff(attempts), "last_error": outcome.message[:2000]}
    await session.execute(update(AlertDelivery).where(AlertDelivery.id == delivery_id).values(attempts=attempts, **values))
