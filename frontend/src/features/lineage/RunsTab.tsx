import { useState } from "react";
import { Pager } from "../../components/Pager";
import { ErrorState, Loading, RelativeTime, StatusBadge } from "../../components/feedback";
import type { RunSummary } from "../../api/types";
import { RUNS_PAGE, useRuns } from "./history";
import { durationBars, formatDuration } from "./runsModel";
import { RunView, type RunActions } from "./RunView";

const CHART_WIDTH = 320;
const CHART_HEIGHT = 48;

/** Durations of the page's runs as bars, oldest left, coloured by state; a bar opens its run. */
function DurationChart({ runs, onOpen }: { runs: RunSummary[]; onOpen: (runId: string) => void }) {
  const bars = durationBars(runs, CHART_WIDTH, CHART_HEIGHT);
  return (
    <svg className="duration-chart" viewBox={`0 0 ${CHART_WIDTH} ${CHART_HEIGHT}`} width="100%" height={CHART_HEIGHT} role="img" aria-label="Run durations, oldest first" data-testid="run-durations">
      {bars.map((bar) => (
        <rect key={bar.runId} className={`run-bar run-${bar.state}`} x={bar.x} y={bar.y} width={bar.width} height={bar.height} onClick={() => onOpen(bar.runId)}>
          <title>{bar.title}</title>
        </rect>
      ))}
    </svg>
  );
}

function RunRow({ run, onOpen }: { run: RunSummary; onOpen: () => void }) {
  return (
    <tr className="clickable" onClick={onOpen} data-testid="run-row">
      <td><StatusBadge status={run.state} title={run.error_message ?? undefined} /></td>
      <td>
        <button className="link-button" onClick={onOpen} title={run.run_id}><RelativeTime value={run.started_at} /></button>
        {run.nominal_start_time && <div className="subtle" title="Nominal start">{run.nominal_start_time}</div>}
        {run.parent_job && <div className="subtle truncate" title={`Parent run ${run.parent_run_id}`}>in {run.parent_job.name}</div>}
        {run.error_message && <div className="error-text truncate" title={run.error_message}>{run.error_message}</div>}
      </td>
      <td className="nowrap">{formatDuration(run.duration_ms)}</td>
    </tr>
  );
}

/** A process's runs, newest first, with their durations charted; a run opens its detail. */
export function RunsTab({ processId, ...actions }: { processId: string } & RunActions) {
  const [page, setPage] = useState(1);
  const [open, setOpen] = useState<string | null>(null);
  const runs = useRuns(processId, page);
  if (open) return <RunView runId={open} onBack={() => setOpen(null)} {...actions} />;
  if (runs.isPending) return <Loading />;
  if (runs.isError) return <ErrorState error={runs.error} onRetry={() => void runs.refetch()} />;
  const { items = [], total } = runs.data;
  if (!items.length) return <p className="subtle">No runs recorded. Runs come from OpenLineage events (POST /api/v1/lineage).</p>;
  return (
    <div className="stack" style={{ gap: 8 }} data-testid="runs-tab">
      <DurationChart runs={items} onOpen={setOpen} />
      <table className="table">
        <thead><tr><th>State</th><th>Started</th><th>Duration</th></tr></thead>
        <tbody>
          {items.map((run) => <RunRow key={run.run_id} run={run} onOpen={() => setOpen(run.run_id)} />)}
        </tbody>
      </table>
      <Pager page={page} pageSize={RUNS_PAGE} total={total ?? items.length} noun="runs" onPage={setPage} />
    </div>
  );
}
