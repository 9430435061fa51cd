import type { SearchHit } from "../../api/types";
import { useState } from "react";
import { Spinner } from "../../components/feedback";
import type { GraphNode } from "../../api/types";
import { ExportMenu } from "./ExportMenu";
import { FiltersMenu } from "./FiltersMenu";
import type { MergedGraph } from "./graphModel";
import type { GroupBy } from "./grouping";
import { SearchBox } from "./SearchBox";
import { RunPicker } from "./RunPicker";
import { MAX_DEPTH, type ExplorerState } from "./state";

function DepthInput({ id, label, words, value, onChange }: { id: string; label: string; words: string; value: number; onChange: (value: number) => void }) {
  return (
    <div className="depth-control" title={`How many hops ${words} of the start to show`}>
      <label htmlFor={id}>{label}</label>
      <input
        id={id}
        className="input"
        type="number"
        aria-label={`${words} depth`}
        min={0}
        max={MAX_DEPTH}
        value={value}
        onChange={(event) => {
          const next = Number(event.target.value);
          if (Number.isInteger(next) && next >= 0 && next <= MAX_DEPTH) onChange(next);
        }}
      />
    </div>
  );
}

/** "1/6/26, 10:00 AM": short enough for the one-row toolbar (the note over the canvas says it in full). */
function formatShortTime(iso: string): string {
  return new Date(iso).toLocaleString(undefined, { dateStyle: "short", timeStyle: "short" });
}

/** `2026-11-06T10:00` (the input's local time) <-> an ISO instant for as_of=. */
function toLocalInput(iso: string | null): string {
  if (!iso) return "";
  const date = new Date(iso);
  return new Date(date.getTime() - date.getTimezoneOffset() * 60_000).toISOString().slice(0, 16);
}

/** Time travel: a button saying which moment is shown, opening a date/time input. */
function AsOfPicker({ value, onChange }: { value: string | null; onChange: (iso: string | null) => void }) {
  const [open, setOpen] = useState(false);
  return (
    <div className="menu-anchor">
      <button className={`btn btn-sm nowrap ${value ? "btn-warn" : ""}`} aria-expanded={open} onClick={() => setOpen(!open)} title="Show the lineage as it was at another moment">
        {value ? `As of ${formatShortTime(value)}` : "Now"}
      </button>
      {open && (
        <div className="menu card as-of-menu">
          <AsOfInput value={value} onChange={onChange} />
        </div>
      )}
    </div>
  );
}

function AsOfInput({ value, onChange }: { value: string | null; onChange: (iso: string | null) => void }) {
  return (
    <div className="depth-control">
      <label htmlFor="as-of">As of</label>
      <input
        id="as-of"
        className={`input as-of ${value ? "active" : ""}`}
        type="datetime-local"
        value={toLocalInput(value)}
        max={toLocalInput(new Date().toISOString())}
        onChange={(event) => onChange(event.target.value ? new Date(event.target.value).toISOString() : null)}
      />
      {value && (
        <button className="btn btn-sm btn-ghost" aria-label="Back to now" onClick={() => onChange(null)}>
          Now
        </button>
      )}
    </div>
  );
}

interface ToolbarProps {
  state: ExplorerState;
  update: (patch: Partial<ExplorerState>, options?: { push?: boolean }) => void;
  groupBy: GroupBy;
  /** The whole canvas graph, and the part shown (without the nodes the user hid). */
  graph: MergedGraph | null;
  visible: MergedGraph | null;
  /** The process whose runs the run picker offers. */
  focusedProcess: GraphNode | null;
  onRun: (runId: string | null, processId?: string) => void;
  isFetching: boolean;
  onPick: (hit: SearchHit) => void;
  children?: React.ReactNode;
}

/** How much is on the canvas, in its corner (the toolbar has no room to spare at 1440 px). */
export function GraphCount({ state, update, graph, visible }: Pick<ToolbarProps, "state" | "update"> & { graph: MergedGraph; visible: MergedGraph }) {
  return (
    <div className="graph-count-note">
      <span className="subtle nowrap" data-testid="graph-count">
          {visible.nodes.length} nodes · {visible.edges.length} edges
          {(graph.hidden?.length ?? 0) > 0 && (
            <span title="Nodes the filters fold away (paths through them stay as edges)"> · {graph.hidden!.length} filtered out</span>
          )}
          {state.hidden.length > 0 && (
            <button className="link-button inline" onClick={() => update({ hidden: [] })} title="Show the nodes you hid again">
              {" "}· {state.hidden.length} hidden
            </button>
          )}
          {graph.truncated && <span className="badge badge-warn" style={{ marginLeft: 6 }}>truncated</span>}
        </span>
    </div>
  );
}

export function ExplorerToolbar({ state, update, groupBy, graph, visible, isFetching, onPick, focusedProcess, onRun, children }: ToolbarProps) {
  return (
    <div className="explorer-toolbar" role="toolbar" aria-label="Lineage controls">
      <SearchBox onPick={onPick} autoFocus={!state.rootId} />
      {state.rootId && (
        <>
          <DepthInput id="upstream-depth" label="Up" words="Upstream" value={state.upstreamDepth} onChange={(value) => update({ upstreamDepth: value })} />
          <DepthInput id="downstream-depth" label="Down" words="Downstream" value={state.downstreamDepth} onChange={(value) => update({ downstreamDepth: value })} />
          <select className="input select-sm" aria-label="Group nodes by" value={groupBy} onChange={(event) => update({ groupBy: event.target.value as GroupBy, openGroups: [] })}>
            <option value="none">No groups</option>
            <option value="namespace">By namespace</option>
            <option value="catalog">By catalog node</option>
            <option value="parent">By parent job</option>
          </select>
          <button className="btn btn-sm" aria-pressed={state.columns} onClick={() => update({ columns: !state.columns })} title="Table or column level">
            Columns
          </button>
          <FiltersMenu state={state} update={update} graph={graph} />
          <button className="btn btn-sm" aria-pressed={Boolean(state.impactId)} onClick={() => update({ impactId: state.impactId ? null : state.rootId })}>
            Impact
          </button>
          <AsOfPicker value={state.asOf} onChange={(asOf) => update({ asOf, runId: null })} />
          <RunPicker process={focusedProcess} runId={state.runId} onRun={onRun} />
        </>
      )}
      <span className="spacer" />
      {isFetching && <Spinner label="Loading lineage" />}
      {visible && graph && <ExportMenu graph={graph} name="lineage" />}
      {children}
    </div>
  );
}
