import { useCallback, useRef, useState } from "react";
import { useDismiss } from "../../lib/useDismiss";
import type { MergedGraph } from "./graphModel";
import { activeFilterCount, filterChoices, hideFiltersOf } from "./filters";
import { toggled, type ExplorerState } from "./state";

/** Namespace, tag, owner and health filters: unticking a value hides its nodes on the
 * server, which keeps every path through them as a direct edge (`via`). */
export function FiltersMenu({ state, update, graph }: { state: ExplorerState; update: (patch: Partial<ExplorerState>) => void; graph: MergedGraph | null }) {
  const [open, setOpen] = useState(false);
  const anchor = useRef<HTMLDivElement>(null);
  useDismiss(open, useCallback(() => setOpen(false), []), anchor);
  const filters = hideFiltersOf(state);
  const active = activeFilterCount(filters);
  const choices = open ? filterChoices(graph, filters) : [];
  return (
    <div className="menu-anchor" ref={anchor}>
      <button
        className={`btn btn-sm nowrap ${active ? "btn-warn" : ""}`}
        aria-haspopup="dialog"
        aria-expanded={open}
        disabled={Boolean(state.runId)}
        onClick={() => setOpen(!open)}
        title={state.runId ? "A run's graph is what it touched: filters apply to the live graph" : "Hide nodes by namespace, tag, owner or health, keeping the paths through them"}
      >
        Filters{active ? ` (${active})` : ""}
      </button>
      {open && (
        <div className="menu card filters-menu" role="dialog" aria-label="Filters">
          <label className="filter-value" title="Hide jobs, keeping the paths through them">
            <input type="checkbox" checked={!state.hideKinds.includes("process")} onChange={() => update({ hideKinds: toggled(state.hideKinds, "process") })} />
            <span>Show jobs</span>
          </label>
          {choices.map((choice) => (
            <fieldset key={choice.key} className="filter-group">
              <legend className="panel-title">{choice.label}</legend>
              {choice.values.length === 0 && <span className="subtle">none on the canvas</span>}
              {choice.values.map(({ value, hidden }) => (
                <label key={value} className="filter-value" title={value}>
                  <input type="checkbox" checked={!hidden} onChange={() => update({ [choice.key]: toggled(filters[choice.key], value) })} aria-label={`Show ${choice.label.toLowerCase()} ${value}`} />
                  <span className="truncate">{value}</span>
                </label>
              ))}
            </fieldset>
          ))}
          {active > 0 && (
            <button className="btn btn-sm btn-ghost" onClick={() => update({ hideKinds: [], hideNamespaces: [], hideTags: [], hideOwners: [], hideHealth: [] })}>
              Show everything
            </button>
          )}
        </div>
      )}
    </div>
  );
}
