import { useState } from "react";
import { downloadWithAuth } from "../../api/client";
import type { Impact } from "../../api/types";
import { reportError } from "../../components/alerts";
import { ErrorState, Loading, StatusBadge } from "../../components/feedback";
import { ResizablePanel } from "../../components/ResizablePanel";
import { MAX_DEPTH } from "./state";

interface ImpactPanelProps {
  nodeId: string;
  depth: number;
  onDepth: (depth: number) => void;
  impact: Impact | undefined;
  isPending: boolean;
  error: Error | null;
  onRetry: () => void;
  onClose: () => void;
  onLocate: (id: string, type: string) => void;
}

const CRITICALITY_ORDER = ["critical", "high", "medium", "low"];

export function ImpactPanel({ nodeId, depth, onDepth, impact, isPending, error, onRetry, onClose, onLocate }: ImpactPanelProps) {
  const [exporting, setExporting] = useState(false);
  const exportCsv = async () => {
    setExporting(true);
    try {
      const query = new URLSearchParams({ node_id: nodeId, depth: String(depth), format: "csv" });
      await downloadWithAuth(`/api/lineage/impact?${query}`, "impact.csv");
    } catch (failure) {
      reportError((failure as Error).message);
    } finally {
      setExporting(false);
    }
  };
  return (
    <ResizablePanel side="left" storageKey="dlv.impact-width" defaultWidth={440} label="Impact analysis" testId="impact-panel">
      <div className="side-panel-header">
        <div className="stack" style={{ gap: 2, minWidth: 0 }}>
          <span className="panel-title">Impact analysis</span>
          <h2 className="truncate">{impact ? `If ${impact.root.name} fails` : "What breaks if this fails"}</h2>
        </div>
        <button className="btn btn-ghost btn-icon" aria-label="Close impact analysis" onClick={onClose}>
          ✕
        </button>
      </div>
      <div className="row">
        <label className="row subtle" htmlFor="impact-depth">
          Depth
        </label>
        <input id="impact-depth" className="input" style={{ width: 72 }} type="number" min={1} max={MAX_DEPTH * 5} value={depth} onChange={(event) => onDepth(Math.max(1, Number(event.target.value) || 1))} />
        <span className="spacer" />
        <button className="btn btn-sm" onClick={exportCsv} disabled={exporting || !impact}>
          {exporting ? "Exporting…" : "Export CSV"}
        </button>
      </div>
      <div className="side-panel-body">
        {isPending && <Loading>Computing impact…</Loading>}
        {error && <ErrorState error={error} onRetry={onRetry} />}
        {impact && (
          <>
            <div className="summary-grid" data-testid="impact-summary">
              <div><strong>{impact.summary.total}</strong><span>impacted</span></div>
              <div><strong>{impact.summary.assets}</strong><span>assets</span></div>
              <div><strong>{impact.summary.processes}</strong><span>processes</span></div>
              <div className={impact.summary.unhealthy ? "danger" : ""}><strong>{impact.summary.unhealthy}</strong><span>unhealthy</span></div>
            </div>
            {Object.keys(impact.summary.by_criticality).length > 0 && (
              <div className="row wrap">
                {CRITICALITY_ORDER.filter((level) => impact.summary.by_criticality[level]).map((level) => (
                  <span key={level} className={`badge plain crit-${level}`}>{impact.summary.by_criticality[level]} {level}</span>
                ))}
              </div>
            )}
            {impact.truncated && <p className="subtle">The result was cut at the node limit; lower the depth for a complete list.</p>}
            {impact.root_causes.length > 0 && (
              <section className="stack" style={{ gap: 6 }}>
                <h3 className="panel-title">Root-cause candidates upstream</h3>
                <ul className="item-list">
                  {impact.root_causes.map((cause) => (
                    <li key={cause.id}>
                      <button className="item" onClick={() => onLocate(cause.id, cause.type)} title={`Focus ${cause.name}`}>
                        <span className="item-text">
                          <span className="truncate name">{cause.name}</span>
                          <span className="subtle truncate">{cause.type === "node" ? "catalog node" : cause.type} · {cause.reason}</span>
                        </span>
                        <StatusBadge status={cause.health} />
                      </button>
                    </li>
                  ))}
                </ul>
              </section>
            )}
            <section className="stack" style={{ gap: 6 }}>
              <h3 className="panel-title">Impacted downstream ({impact.impacted.length})</h3>
              {impact.impacted.length === 0 ? (
                <p className="subtle">Nothing downstream depends on this.</p>
              ) : (
                <table className="table impact-table" data-testid="impact-list">
                  <thead>
                    <tr><th>Name</th><th title="Edges from the failing node">Dist.</th><th>Owner</th><th>Criticality</th><th>Health</th></tr>
                  </thead>
                  <tbody>
                    {impact.impacted.map((item) => (
                      <tr key={item.id}>
                        <td>
                          <button className="link-button truncate" title={`${item.namespace} ${item.name}`} onClick={() => onLocate(item.id, item.type)}>
                            {item.name}
                          </button>
                          <div className="subtle">{item.type} · {item.kind}</div>
                        </td>
                        <td>{item.distance}</td>
                        <td>{item.owner ?? <span className="subtle">—</span>}</td>
                        <td>{item.criticality ? <span className={`badge plain crit-${item.criticality}`}>{item.criticality}</span> : <span className="subtle">—</span>}</td>
                        <td><StatusBadge status={item.health} /></td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              )}
            </section>
          </>
        )}
      </div>
    </ResizablePanel>
  );
}
