import { ErrorState, Loading, RelativeTime, StatusBadge } from "../../components/feedback";
import type { RunDataset } from "../../api/types";
import { useRun } from "./history";
import { formatDuration, shortVersion } from "./runsModel";

export interface RunActions {
  /** Focus the canvas on an asset the run read or wrote. */
  onFocusAsset: (assetId: string) => void;
  /** Show what the run touched on the canvas (graph?run_id=). */
  onShowOnGraph: (runId: string, processId: string) => void;
}

/** Facets as received, one collapsible block each (they can be large: Spark plans, dbt runs). */
function Facets({ title, facets }: { title: string; facets: Record<string, unknown> }) {
  const names = Object.keys(facets).sort();
  return (
    <section className="stack" style={{ gap: 4 }}>
      <h3 className="panel-title">{title} ({names.length})</h3>
      {names.length === 0 && <p className="subtle">None received.</p>}
      {names.map((name) => (
        <details key={name} className="facet">
          <summary className="mono">{name}</summary>
          <pre className="json">{JSON.stringify(facets[name], null, 2)}</pre>
        </details>
      ))}
    </section>
  );
}

function Datasets({ title, items, onFocusAsset }: { title: string; items: RunDataset[]; onFocusAsset: (id: string) => void }) {
  return (
    <section className="stack" style={{ gap: 4 }} data-testid={`run-${title.toLowerCase()}`}>
      <h3 className="panel-title">{title} ({items.length})</h3>
      {items.length === 0 ? (
        <p className="subtle">None.</p>
      ) : (
        <table className="table">
          <thead><tr><th>Dataset</th><th>Version</th></tr></thead>
          <tbody>
            {items.map((item) => (
              <tr key={item.asset_id}>
                <td>
                  <button className="link-button" title={`Focus the canvas on ${item.name}\n${item.namespace}`} onClick={() => onFocusAsset(item.asset_id)}>
                    {item.name}
                  </button>
                  <div className="subtle truncate">{item.namespace}</div>
                </td>
                <td className="mono truncate" title={item.version ?? undefined}>{item.version ? shortVersion(item.version) : <span className="subtle">—</span>}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** One run: its state and times, what it read and wrote (with versions), every facet. */
export function RunView({ runId, onBack, onFocusAsset, onShowOnGraph }: { runId: string; onBack: () => void } & RunActions) {
  const run = useRun(runId);
  return (
    <div className="stack" style={{ gap: 12 }} data-testid="run-detail">
      <div className="row">
        <button className="btn btn-sm btn-ghost" onClick={onBack}>← Back</button>
        {run.data && (
          <button className="btn btn-sm btn-primary" onClick={() => onShowOnGraph(run.data.run_id, run.data.process_id)}>
            Show on graph
          </button>
        )}
      </div>
      {run.isPending && <Loading />}
      {run.isError && <ErrorState error={run.error} onRetry={() => void run.refetch()} />}
      {run.data && (
        <>
          <dl className="props">
            <dt>Run</dt>
            <dd className="mono truncate" title={run.data.run_id}>{run.data.run_id}</dd>
            <dt>State</dt>
            <dd><StatusBadge status={run.data.state} /></dd>
            <dt>Started</dt>
            <dd><RelativeTime value={run.data.started_at} /></dd>
            <dt>Ended</dt>
            <dd><RelativeTime value={run.data.ended_at} /></dd>
            <dt>Duration</dt>
            <dd>{formatDuration(run.data.duration_ms)}</dd>
            {(run.data.nominal_start_time || run.data.nominal_end_time) && (
              <>
                <dt>Nominal</dt>
                <dd>{run.data.nominal_start_time ?? "?"} → {run.data.nominal_end_time ?? "?"}</dd>
              </>
            )}
            {run.data.parent_run_id && (
              <>
                <dt>Parent</dt>
                <dd className="truncate" title={run.data.parent_run_id}>
                  {run.data.parent_job ? `${run.data.parent_job.name} · ` : ""}
                  <span className="mono">{run.data.parent_run_id.slice(0, 8)}</span>
                </dd>
              </>
            )}
            <dt>Events</dt>
            <dd>{run.data.event_count}</dd>
          </dl>
          {run.data.error_message && <div className="alert alert-error"><div className="alert-body"><p>{run.data.error_message}</p></div></div>}
          <Datasets title="Inputs" items={run.data.inputs} onFocusAsset={onFocusAsset} />
          <Datasets title="Outputs" items={run.data.outputs} onFocusAsset={onFocusAsset} />
          <Facets title="Run facets" facets={run.data.run_facets} />
          <Facets title="Job facets" facets={run.data.job_facets} />
        </>
      )}
    </div>
  );
}
