"""Jobs and runs the way Marquez answers them: a job is a DLV process, a run its OpenLineage
run, with the state Marquez names (COMPLETE -> COMPLETED ...) and facets from the event log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from dlv.db.models import Process, Run
from dlv.history import RunHistory
from dlv.lib.exceptions import BadRequest, NotFound
from dlv.marquez import _schemas as m
from dlv.marquez._ids import MARQUEZ_STATES, RUN_STATES, version_uuid
from dlv.marquez._shapes import JobContext, run


class MarquezJobs:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def jobs(self, namespace: str | None, last_run_states: list[str], limit: int, offset: int) -> m.Jobs:
        where: list[Any] = [Process.deleted_at.is_(None)]
        if namespace is not None:
            where.append(Process.namespace == namespace)
        if last_run_states:
            where.append(_in_states(last_run_states))
        total = await self.session.scalar(select(func.count()).select_from(Process).where(*where)) or 0
        page = (await self.session.scalars(select(Process).where(*where).order_by(Process.namespace, Process.name).limit(limit).offset(offset))).all()
        context = await JobContext.read(self.session, page)
        return m.Jobs(total_count=total, jobs=[context.job(process) for process in page])

    async def process(self, namespace: str, name: str) -> Process:
        found = await self.session.scalar(select(Process).where(Process.namespace == namespace, Process.name == name))
        if found is None:
            raise NotFound(
                f"Job '{name}' not found in namespace '{namespace}': send a name from GET /api/v1/namespaces/{{namespace}}/jobs.",
                field="job", source="path",
            )
        return found

    async def job(self, namespace: str, name: str) -> m.Job:
        process = await self.process(namespace, name)
        return (await JobContext.read(self.session, [process])).job(process)

    async def runs(self, namespace: str, name: str, limit: int, offset: int) -> m.Runs:
        process = await self.process(namespace, name)
        summaries, total = await RunHistory(self.session).runs_of(process.id, limit, offset)
        rows = {row.run_id: row for row in (await self.session.scalars(select(Run).where(Run.run_id.in_([s.run_id for s in summaries])))).all()} if summaries else {}
        runs = [run(rows[summary.run_id], process, nominal=(summary.nominal_start_time, summary.nominal_end_time)) for summary in summaries]
        return m.Runs(total_count=total, runs=runs)

    async def _row(self, run_id: str) -> Run:
        row = await self.session.scalar(select(Run).where(Run.run_id == run_id))
        if row is None:
            raise NotFound(f"Run '{run_id}' not found: send a run id from GET /api/v1/namespaces/{{namespace}}/jobs/{{job}}/runs.", field="id", source="path")
        return row

    async def run(self, run_id: str) -> m.Run:
        row = await self._row(run_id)
        detail = await RunHistory(self.session).run(run_id)
        process = await self.session.get(Process, row.process_id)
        outputs = [m.DatasetVersionId(namespace=item.namespace, name=item.name, version=version_uuid(item.asset_id, run_id)) for item in detail.outputs]
        return run(row, process, facets=detail.run_facets, nominal=(detail.nominal_start_time, detail.nominal_end_time), outputs=outputs)

    async def facets(self, run_id: str, kind: str) -> m.RunFacets:
        if kind not in ("run", "job"):
            raise BadRequest(f"type={kind!r} is not a kind of facet: send type=run or type=job.", field="type", source="query")
        await self._row(run_id)
        detail = await RunHistory(self.session).run(run_id)
        return m.RunFacets(run_id=run_id, facets=detail.run_facets if kind == "run" else detail.job_facets)


def _in_states(states: list[str]) -> Any:
    """Marquez's run states as the OpenLineage event types DLV keeps (NEW: no run yet)."""
    unknown = [state for state in states if state not in MARQUEZ_STATES]
    if unknown:
        raise BadRequest(f"lastRunStates={unknown[0]!r} is not a run state: send any of {', '.join(MARQUEZ_STATES)}.", field="lastRunStates", source="query")
    stored = [event for event, state in RUN_STATES.items() if state in states]
    conditions = [Process.last_run_state.in_(stored)] if stored else []
    if "NEW" in states:
        conditions.append(Process.last_run_state.is_(None))
    return or_(*conditions)
