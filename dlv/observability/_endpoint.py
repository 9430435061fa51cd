"""``GET /metrics``: the app's metrics in the Prometheus text exposition format.

Unauthenticated, like most Prometheus targets: scrapers rarely carry credentials, and what
is exposed is counts and timings labelled by route template, store, node type and status —
never a secret, a user name or a concrete path. Keep it off the public internet (bind
DLV_HOST to a private interface, or let the ingress route only /api and the UI) if even
request rates are sensitive where DLV runs.
"""

from __future__ import annotations

import logging
import math
from datetime import datetime, timezone

from litestar import Response, get
from litestar.di import NamedDependency
from prometheus_client import CONTENT_TYPE_LATEST
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import GraphOutbox
from dlv.observability._metrics import Metrics
from dlv.observability._workers import exposition

logger = logging.getLogger("dlv.observability")


async def refresh_outbox_lag(metrics: Metrics, session: AsyncSession) -> None:
    """Rows waiting for the Neo4j projector and the age of the oldest, read at scrape time.

    Both are NaN while the database cannot be read, so a scrape still answers (with the
    request metrics) and an alert on the lag does not see a reassuring 0.
    """
    try:
        pending, oldest = (
            await session.execute(select(func.count(), func.min(GraphOutbox.created_at)).where(GraphOutbox.applied_at.is_(None)))
        ).one()
    except SQLAlchemyError as exc:
        logger.warning("cannot read the graph outbox for /metrics (%s)", type(exc).__name__)
        metrics.outbox_pending.set(math.nan)
        metrics.outbox_oldest_age.set(math.nan)
        return
    metrics.outbox_pending.set(pending)
    if oldest is not None and oldest.tzinfo is None:
        oldest = oldest.replace(tzinfo=timezone.utc)
    age = (datetime.now(timezone.utc) - oldest).total_seconds() if oldest is not None else 0.0
    metrics.outbox_oldest_age.set(max(age, 0.0))


@get("/metrics", include_in_schema=False)
async def metrics_endpoint(metrics: NamedDependency[Metrics], db_session: NamedDependency[AsyncSession]) -> Response[bytes]:
    await refresh_outbox_lag(metrics, db_session)
    return Response(exposition(metrics), media_type=CONTENT_TYPE_LATEST)
