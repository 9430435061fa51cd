"""Reading fired alerts with their deliveries and attempts, a page at a time."""

from __future__ import annotations

from collections import defaultdict
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.alerts._schemas import AlertPage, AlertRead, AttemptRead, DeliveryRead
from dlv.db.models import AlertAttempt, AlertDelivery, AlertEvent


async def alert_page(
    session: AsyncSession, limit: int, offset: int, state: str | None, subject_id: UUID | None, *, alert_id: UUID | None = None
) -> AlertPage:
    conditions = []
    if state is not None:
        conditions.append(AlertEvent.resolved_at.is_(None) if state == "open" else AlertEvent.resolved_at.is_not(None))
    if subject_id is not None:
        conditions.append(AlertEvent.subject_id == subject_id)
    if alert_id is not None:
        conditions.append(AlertEvent.id == alert_id)
    total = await session.scalar(select(func.count()).select_from(AlertEvent).where(*conditions)) or 0
    alerts = (
        await session.scalars(select(AlertEvent).where(*conditions).order_by(AlertEvent.occurred_at.desc(), AlertEvent.id).limit(limit).offset(offset))
    ).all()
    deliveries = await _deliveries(session, [alert.id for alert in alerts])
    items = [
        AlertRead(
            id=alert.id, rule_id=alert.rule_id, rule_name=alert.rule_name, kind=alert.kind, subject_type=alert.subject_type,
            subject_id=alert.subject_id, subject_name=alert.subject_name, message=alert.message, detail=alert.detail or {},
            occurred_at=alert.occurred_at, resolved_at=alert.resolved_at, payload=alert.payload, deliveries=deliveries.get(alert.id, []),
        )
        for alert in alerts
    ]  # fmt: skip
    return AlertPage(items=items, total=total, limit=limit, offset=offset)


async def _deliveries(session: AsyncSession, alert_ids: list[UUID]) -> dict[UUID, list[DeliveryRead]]:
    if not alert_ids:
        return {}
    rows = (await session.scalars(select(AlertDelivery).where(AlertDelivery.alert_id.in_(alert_ids)).order_by(AlertDelivery.channel_name))).all()
    attempts: dict[UUID, list[AttemptRead]] = defaultdict(list)
    if rows:
        for attempt in await session.scalars(
            select(AlertAttempt).where(AlertAttempt.delivery_id.in_([row.id for row in rows])).order_by(AlertAttempt.attempted_at)
        ):
            attempts[attempt.delivery_id].append(
                AttemptRead(attempted_at=attempt.attempted_at, ok=attempt.ok, status_code=attempt.status_code, message=attempt.message)
            )
    found: dict[UUID, list[DeliveryRead]] = defaultdict(list)
    for row in rows:
        found[row.alert_id].append(
            DeliveryRead(
                id=row.id, channel_id=row.channel_id, channel_name=row.channel_name, state=row.state, attempts=row.attempts,  # type: ignore[arg-type]
                next_attempt_at=row.next_attempt_at if row.state == "pending" else None, delivered_at=row.delivered_at,
                last_error=row.last_error, attempt_log=attempts.get(row.id, []),
            )
        )  # fmt: skip
    return found
