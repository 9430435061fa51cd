"""Every change to a lineage edge leaves its id in ``graph_outbox``, in the same transaction.

Capture happens in SQLAlchemy session events, so no write path can forget it: the unit of
work (edges added, changed or deleted through the ORM) and bulk UPDATE/DELETE statements on
``lineage_edges`` (retire, purge) both record the edges they touch. Only sessions whose
``info`` has ``graph_outbox`` set record anything: without Neo4j nothing would read the rows.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from sqlalchemy import event, insert, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from dlv.db.models import GraphOutbox, LineageEdge

OUTBOX_FLAG = "graph_outbox"
_EDGES = LineageEdge.__table__


def _enabled(session: Session) -> bool:
    return bool(session.info.get(OUTBOX_FLAG))


def _record(session: Session, edge_ids: list[UUID]) -> None:
    if not edge_ids:
        return
    now = datetime.now(timezone.utc)
    session.connection().execute(
        insert(GraphOutbox.__table__), [{"edge_id": edge_id, "created_at": now} for edge_id in dict.fromkeys(edge_ids)]
    )


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    if not _enabled(session):
        return
    changed = [
        item.id
        for group in (session.new, session.dirty, session.deleted)
        for item in group
        if isinstance(item, LineageEdge) and (group is not session.dirty or session.is_modified(item))
    ]
    _record(session, changed)


def _bulk_statement_on_edges(state: ORMExecuteState) -> bool:
    if not (state.is_update or state.is_delete):
        return False
    table = getattr(state.statement, "table", None)
    return table is _EDGES or getattr(table, "name", None) == _EDGES.name


def _do_orm_execute(state: ORMExecuteState) -> Any:
    if not _enabled(state.session) or not _bulk_statement_on_edges(state):
        return None
    # Which rows the statement will touch, read first in the same transaction.
    where = state.statement.whereclause
    ids_query = select(_EDGES.c.id) if where is None else select(_EDGES.c.id).where(where)
    _record(state.session, list(state.session.connection().execute(ids_query).scalars()))
    return None


def install() -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _do_orm_execute)


install()
