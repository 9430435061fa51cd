"""Search, tags and lineage-event statistics, the way Marquez answers them."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, case, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import DataAsset, LineageEvent, Process
from dlv.lib.exceptions import BadRequest
from dlv.marquez import _schemas as m
from dlv.marquez._ids import dataset_node, job_node

SEARCH_FILTERS = {"DATASET": DataAsset, "JOB": Process}
SEARCH_SORTS = ("NAME", "UPDATE_AT")
PERIODS = {"DAY": (timedelta(hours=1), 24), "WEEK": (timedelta(days=1), 7)}
# The event types Marquez counts, by the name its LineageMetric gives them.
COUNTED = {"fail": "FAIL", "start": "START", "complete": "COMPLETE", "abort": "ABORT"}


def _like(q: str) -> str:
    return "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def search(session: AsyncSession, q: str, kind: str | None, sort: str, limit: int, namespace: str | None) -> m.MarquezSearchResults:
    if kind is not None and kind not in SEARCH_FILTERS:
        raise BadRequest(f"filter={kind!r} is not a kind Marquez searches: send DATASET or JOB.", field="filter", source="query")
    if sort not in SEARCH_SORTS:
        raise BadRequest(f"sort={sort!r} is not a search order: send NAME or UPDATE_AT.", field="sort", source="query")
    parts = []
    for label, model in SEARCH_FILTERS.items():
        if kind in (None, label):
            statement = select(literal(label).label("type"), model.name.label("name"), model.namespace.label("namespace"), model.updated_at.label("updated_at"))
            statement = statement.where(model.deleted_at.is_(None), func.lower(model.name).like(_like(q), escape="\\"))
            parts.append(statement.where(model.namespace == namespace) if namespace else statement)
    found = union_all(*parts).subquery()
    total = await session.scalar(select(func.count()).select_from(found)) or 0
    order = (found.c.name, found.c.namespace) if sort == "NAME" else (found.c.updated_at.desc(), found.c.name)
    rows = await session.execute(select(found).order_by(*order).limit(limit))
    return m.MarquezSearchResults(total_count=total, results=[
        m.SearchResult(type=label, name=name, namespace=space, updated_at=updated, node_id=(dataset_node if label == "DATASET" else job_node)(space, name))
        for label, name, space, updated in rows
    ])


async def tags(session: AsyncSession) -> m.Tags:
    """Every tag an asset, one of its fields, or a process carries."""
    names: set[str] = set()
    for model in (DataAsset, Process):
        for (values,) in await session.execute(select(model.tags).where(model.deleted_at.is_(None))):
            names.update(str(value) for value in values or [])
    for (fields,) in await session.execute(select(DataAsset.fields).where(DataAsset.deleted_at.is_(None))):
        names.update(str(tag) for item in fields or [] if isinstance(item, dict) for tag in item.get("tags") or [])
    return m.Tags(tags=[m.Tag(name=name) for name in sorted(names)])


def _zone(name: str | None) -> Any:
    try:
        return ZoneInfo(name) if name else timezone.utc
    except (ZoneInfoNotFoundError, ValueError):
        raise BadRequest(f"timezone={name!r} is not a time zone: send an IANA name such as UTC or Europe/Paris.", field="timezone", source="query") from None


async def lineage_event_stats(session: AsyncSession, period: str, zone_name: str | None, now: datetime | None = None) -> list[m.LineageMetric]:
    """Events received per hour of the last day, or per day of the last week (days start at
    midnight in ``timezone``), counted by type in one query."""
    if period not in PERIODS:
        raise BadRequest(f"period={period!r} is not a period: send DAY or WEEK.", field="period", source="query")
    step, count = PERIODS[period]
    local = (now or datetime.now(timezone.utc)).astimezone(_zone(zone_name))
    end = local.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1) if period == "DAY" else local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    starts = [(end - step * (count - index)).astimezone(timezone.utc) for index in range(count)]
    columns = [
        func.coalesce(func.sum(case((and_(LineageEvent.event_time >= start, LineageEvent.event_time < start + step, LineageEvent.event_type == kind), 1), else_=0)), 0)
        for start in starts for kind in COUNTED.values()
    ]
    counts = list((await session.execute(select(*columns).where(LineageEvent.event_time >= starts[0]))).one())
    per = len(COUNTED)
    return [
        m.LineageMetric(start_interval=start, end_interval=start + step, **dict(zip(COUNTED, (int(value) for value in counts[index * per : (index + 1) * per]))))
        for index, start in enumerate(starts)
    ]
