"""One search box over assets, processes and catalog nodes."""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, case, cast, func, literal, or_, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import DataAsset, Node, Process
from dlv.lineage._schemas import SearchHit, SearchResults


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _ranked(model: Any, kind_label: str, q: str) -> Any:
    """Score: exact name 100, name prefix 80, name contains 60, other fields 20."""
    needle = q.lower()
    name = func.lower(model.name)
    contains = f"%{_escape(needle)}%"
    other_columns = [model.description, cast(model.tags, String)]
    if hasattr(model, "namespace"):
        other_columns.append(model.namespace)
    if hasattr(model, "owner"):
        other_columns.append(model.owner)
    others = or_(*(func.lower(column).like(contains, escape="\\") for column in other_columns))
    score = case(
        (name == needle, 100),
        (name.like(f"{_escape(needle)}%", escape="\\"), 80),
        (name.like(contains, escape="\\"), 60),
        else_=20,
    )
    statement = select(
        model.id.label("id"),
        literal(kind_label).label("type"),
        model.name.label("name"),
        (model.namespace if hasattr(model, "namespace") else literal(None, String)).label("namespace"),
        (model.kind if hasattr(model, "kind") else model.type).label("kind"),
        model.description.label("description"),
        (model.owner if hasattr(model, "owner") else literal(None, String)).label("owner"),
        score.label("score"),
    ).where(or_(name.like(contains, escape="\\"), others))
    if hasattr(model, "deleted_at"):
        statement = statement.where(model.deleted_at.is_(None))
    return statement


async def search(session: AsyncSession, q: str, types: set[str], limit: int, offset: int) -> SearchResults:
    parts = [
        _ranked(model, label, q)
        for model, label in ((DataAsset, "asset"), (Process, "process"), (Node, "node"))
        if label in types
    ]
    combined = union_all(*parts).subquery()
    total = await session.scalar(select(func.count()).select_from(combined)) or 0
    rows = await session.execute(
        select(combined).order_by(combined.c.score.desc(), func.length(combined.c.name), combined.c.name).limit(limit).offset(offset)
    )
    items = [SearchHit(**row._asdict()) for row in rows]
    return SearchResults(items=items, total=total, limit=limit, offset=offset)
