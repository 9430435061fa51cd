"""Every change to a lineage edge leaves its id in ``graph_outbox``, in the same transaction.

Capture happens in SQLAlchemy session events, so no write path can forget it: the unit of
work (edges added, changed or deleted through the ORM) and bulk UPDATE/DELETE statements on
``lineage_edges`` (retire, purge) both record the edges they touch. Only sessions whose
``info`` has ``graph_outbox`` set record anything: without Neo4j nothing would read the rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any
from uuid import UUID

from sqlalchemy import bindparam, event, insert, select, true
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from dlv.db.models import GraphOutbox, LineageEdge

OUTBOX_FLAG = "graph_outbox"
_EDGES, _OUTBOX = LineageEdge.__table__, GraphOutbox.__table__


def outbox_enabled(session: Session | Any) -> bool:
    """Whether ``session`` (sync or async) records edge changes for the Neo4j projection."""
    return bool(session.info.get(OUTBOX_FLAG))


def outbox_write(edge_ids: Iterable[UUID] = (), *, where: Any = None, params: Any = None) -> tuple[Any, Any]:
    """The one way edge ids reach ``graph_outbox``: (statement, parameters) that record
    ``edge_ids``, or the ids of the edges matching ``where`` (bound by ``params``, a dict or a
    list of them for executemany), read in the same statement before the change runs."""
    now = datetime.now(timezone.utc)
    if where is None:
        return insert(_OUTBOX), [{"edge_id": edge_id, "created_at": now} for edge_id in dict.fromkeys(edge_ids)]
    statement = insert(_OUTBOX).from_select(
        ["edge_id", "created_at"], select(_EDGES.c.id, bindparam("outbox_at", type_=_OUTBOX.c.created_at.type)).where(where)
    )
    if isinstance(params, list):
        return statement, [{**item, "outbox_at": now} for item in params]
    return statement, {**(params or {}), "outbox_at": now}


def _record(session: Session, edge_ids: list[UUID]) -> None:
    if edge_ids:
        session.connection().execute(*outbox_write(edge_ids))


def _after_flush(session: Session, flush_context: UOWTransaction) -> None:
    if not outbox_enabled(session):
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
    if not outbox_enabled(state.session) or not _bulk_statement_on_edges(state):
        return None
    # The rows the statement will touch, recorded first in the same transaction.
    where = state.statement.whereclause
    state.session.connection().execute(*outbox_write(where=true() if where is None else where, params=state.parameters))
    return None


def install() -> None:
    if not event.contains(Session, "after_flush", _after_flush):
        event.listen(Session, "after_flush", _after_flush)
        event.listen(Session, "do_orm_execute", _do_orm_execute)


install()
