import { useState } from "react";
import type { GraphNode } from "../../api/types";
import { RelativeTime, StatusBadge } from "../../components/feedback";
import { useRuns } from "./history";
import { formatDuration } from "./runsModel";

const SHOWN_RUNS = 10;

/** Beside the as-of picker: one of the focused process's recent runs instead of the live graph. */
export function RunPicker({ process, runId, onRun }: { process: GraphNode | null; runId: string | null; onRun: (runId: string | null, processId?: string) => void }) {
  const [open, setOpen] = useState(false);
  const runs = useRuns(open ? (process?.id ?? null) : null);
  const items = runs.data?.items ?? [];
  if (!process && !runId) return null;
  const pick = (id: string | null) => {
    setOpen(false);
    onRun(id, process?.id);
  };
  return (
    <div className="menu-anchor">
      <button className={`btn btn-sm nowrap ${runId ? "btn-warn" : ""}`} aria-haspopup="menu" aria-expanded={open} onClick={() => setOpen(!open)} title={process ? `Show what one run of ${process.name} touched` : "The run shown"}>
        {runId ? `Run ${runId.slice(0, 8)}` : "Runs"}
      </button>
      {open && (
        <ul className="menu card run-menu" role="menu" aria-label="Runs to show">
          {runId && (
            <li><button role="menuitem" className="menu-item" onClick={() => pick(null)}>Live graph</button></li>
          )}
          {!process && <li className="subtle menu-note">Select a process to pick one of its runs.</li>}
          {process && runs.isPending && <li className="subtle menu-note">Loading runs…</li>}
          {runs.isError && <li className="error-text menu-note">{runs.error.message}</li>}
          {runs.data && !items.length && <li className="subtle menu-note">{process?.name} has no runs recorded.</li>}
          {items.slice(0, SHOWN_RUNS).map((run) => (
            <li key={run.run_id}>
              <button role="menuitem" className="menu-item run-item" aria-current={run.run_id === runId} onClick={() => pick(run.run_id)} title={run.run_id}>
                <StatusBadge status={run.state} /> <RelativeTime value={run.started_at} /> <span className="subtle">{formatDuration(run.duration_ms)}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}
