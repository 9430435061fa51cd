"""The history domain's request-scoped dependency: the run history service."""

from __future__ import annotations

from litestar.di import NamedDependency, Provide
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.history._service import RunHistory


async def provide_history(db_session: NamedDependency[AsyncSession]) -> RunHistory:
    return RunHistory(db_session)


HISTORY = {"history": Provide(provide_history)}
