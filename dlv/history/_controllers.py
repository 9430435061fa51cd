"""Run history and dataset versions: what each run of a process did, and what each run that
wrote an asset made of it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar
from uuid import UUID

from advanced_alchemy.service import OffsetPagination
from litestar import Controller, get
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery

from dlv.auth import requires_viewer
from dlv.history._schemas import DatasetVersion, RunDetail, RunSummary, SchemaDiff
from dlv.history._service import RunHistory
from dlv.history.deps import HISTORY
from dlv.lib.paging import check_page

LARGEST_PAGE = 200
T = TypeVar("T")


async def _page(read: Callable[[int, int], Awaitable[tuple[list[T], int]]], limit: int, offset: int) -> OffsetPagination[T]:
    check_page(limit, offset, LARGEST_PAGE)
    items, total = await read(limit, offset)
    return OffsetPagination(items=items, limit=limit, offset=offset, total=total)


class HistoryController(Controller):
    path = "/api/lineage"
    tags = ["lineage"]
    guards = [requires_viewer]
    dependencies = HISTORY

    @get("/processes/{process_id:uuid}/runs", summary="A process's runs, newest first")
    async def process_runs(
        self, history: NamedDependency[RunHistory], process_id: FromPath[UUID], limit: FromQuery[int] = 20, offset: FromQuery[int] = 0
    ) -> OffsetPagination[RunSummary]:
        return await _page(lambda size, start: history.runs_of(process_id, size, start), limit, offset)

    @get("/runs/{run_id:str}", summary="One run: state, times, every run and job facet, what it read and wrote")
    async def run(self, history: NamedDependency[RunHistory], run_id: FromPath[str]) -> RunDetail:
        return await history.run(run_id)

    @get("/assets/{asset_id:uuid}/versions", summary="An asset's versions, newest first: one per run that wrote it")
    async def asset_versions(
        self, history: NamedDependency[RunHistory], asset_id: FromPath[UUID], limit: FromQuery[int] = 20, offset: FromQuery[int] = 0
    ) -> OffsetPagination[DatasetVersion]:
        return await _page(lambda size, start: history.versions_of(asset_id, size, start), limit, offset)

    @get("/assets/{asset_id:uuid}/versions/diff", summary="How an asset's schema changed between two versions (default: the two newest)")
    async def version_diff(
        self,
        history: NamedDependency[RunHistory],
        asset_id: FromPath[UUID],
        from_run_id: FromQuery[str | None] = None,
        to_run_id: FromQuery[str | None] = None,
    ) -> SchemaDiff:
        return await history.diff(asset_id, from_run_id, to_run_id)
