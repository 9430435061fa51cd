import { useState } from "react";
import { Link } from "react-router";
import type { GraphEdge, GraphNode } from "../../api/types";
import { ErrorState, Loading, RelativeTime, StatusBadge } from "../../components/feedback";
import { ResizablePanel } from "../../components/ResizablePanel";
import { useEntityDetails } from "./api";
import { RunsTab } from "./RunsTab";
import type { RunActions } from "./RunView";
import { VersionsTab } from "./VersionsTab";

interface DrawerProps extends RunActions {
  entity: GraphNode;
  incoming: GraphEdge[];
  names: Map<string, string>;
  isRoot: boolean;
  /** The node paths start from, once the user chose one. */
  pathFrom: GraphNode | null;
  onClose: () => void;
  onFocus: () => void;
  onHide: () => void;
  onImpact: () => void;
  onPathFrom: () => void;
  onPathTo: () => void;
}

type Tab = "details" | "history";

/** Details, and the entity's history: a process's runs, an asset's versions. */
function DrawerTabs({ entity, tab, onTab }: { entity: GraphNode; tab: Tab; onTab: (tab: Tab) => void }) {
  const history = entity.type === "process" ? "Runs" : "Versions";
  return (
    <div className="tabs" role="tablist" aria-label="Details sections">
      <button role="tab" aria-selected={tab === "details"} onClick={() => onTab("details")}>Details</button>
      <button role="tab" aria-selected={tab === "history"} onClick={() => onTab("history")}>{history}</button>
    </div>
  );
}

export function DetailsDrawer(props: DrawerProps) {
  const { entity, isRoot, pathFrom, onClose, onFocus, onHide, onImpact, onPathFrom, onPathTo, onFocusAsset, onShowOnGraph } = props;
  const [tab, setTab] = useState<Tab>("details");
  return (
    <ResizablePanel side="right" overlay storageKey="dlv.details-width" defaultWidth={380} label={`Details of ${entity.name}`} testId="details-drawer">
      <div className="side-panel-header">
        <div className="stack" style={{ gap: 2, minWidth: 0 }}>
          <span className="panel-title">{entity.type === "process" ? "Process" : "Data asset"} · {entity.kind}</span>
          <h2 className="truncate" title={entity.name}>{entity.name}</h2>
          <span className="subtle truncate" title={entity.namespace}>{entity.namespace}</span>
        </div>
        <button className="btn btn-ghost btn-icon" aria-label="Close details" onClick={onClose}>
          ✕
        </button>
      </div>
      <div className="row wrap">
        {!isRoot && (
          <button className="btn btn-sm" onClick={onFocus}>
            Center lineage here
          </button>
        )}
        {!isRoot && (
          <button className="btn btn-sm" onClick={onHide}>
            Hide
          </button>
        )}
        <button className="btn btn-sm" onClick={onImpact}>
          Impact analysis
        </button>
        <button className="btn btn-sm" onClick={onPathFrom}>
          Paths from here
        </button>
        {pathFrom && pathFrom.id !== entity.id && (
          <button className="btn btn-sm btn-primary" onClick={onPathTo} title={`Every path from ${pathFrom.name} to ${entity.name}`}>
            Paths to here
          </button>
        )}
      </div>
      <DrawerTabs entity={entity} tab={tab} onTab={setTab} />
      <div className="side-panel-body">
        {tab === "details" && <DetailsBody {...props} />}
        {tab === "history" && entity.type === "process" && <RunsTab processId={entity.id} onFocusAsset={onFocusAsset} onShowOnGraph={onShowOnGraph} />}
        {tab === "history" && entity.type !== "process" && <VersionsTab assetId={entity.id} onFocusAsset={onFocusAsset} onShowOnGraph={onShowOnGraph} />}
      </div>
    </ResizablePanel>
  );
}

function DetailsBody({ entity, incoming, names }: DrawerProps) {
  const details = useEntityDetails(entity.id, entity.type);
  const mappings = incoming.flatMap((edge) => (edge.columns ?? []).map((column) => ({ ...column, from: names.get(edge.source_id) ?? "" })));
  return (
    <>
        {details.isPending && <Loading />}
        {details.isError && <ErrorState error={details.error} onRetry={() => void details.refetch()} />}
        {details.data && (
          <>
            <dl className="props">
              <dt>Health</dt>
              <dd><StatusBadge status={entity.health} /></dd>
              <dt>Owner</dt>
              <dd>{details.data.data.owner ?? <span className="subtle">none</span>}</dd>
              <dt>Criticality</dt>
              <dd>{details.data.data.criticality ?? <span className="subtle">not set</span>}</dd>
              {details.data.kind === "process" && (
                <>
                  <dt>Schedule</dt>
                  <dd>{details.data.data.schedule ?? <span className="subtle">none</span>}</dd>
                  <dt>Last run</dt>
                  <dd>
                    <StatusBadge status={details.data.data.last_run_state} /> <RelativeTime value={details.data.data.last_run_at} />
                  </dd>
                </>
              )}
              {details.data.kind === "asset" && details.data.data.node_id && (
                <>
                  <dt>Catalog node</dt>
                  <dd><Link to={`/nodes?open=${details.data.data.node_id}`}>Open node</Link></dd>
                </>
              )}
              <dt>Tags</dt>
              <dd>{details.data.data.tags.length ? details.data.data.tags.map((tag) => <span key={tag} className="tag">{tag}</span>) : <span className="subtle">none</span>}</dd>
              <dt>Updated</dt>
              <dd><RelativeTime value={details.data.data.updated_at} /></dd>
            </dl>
            {details.data.data.description && <p className="description">{details.data.data.description}</p>}
            {details.data.kind === "asset" && (
              <section className="stack" style={{ gap: 6 }}>
                <h3 className="panel-title">Fields ({details.data.data.fields.length})</h3>
                {details.data.data.fields.length ? (
                  <table className="table">
                    <thead><tr><th>Name</th><th>Type</th></tr></thead>
                    <tbody>
                      {details.data.data.fields.map((field) => (
                        <tr key={field.name}><td className="mono">{field.name}</td><td className="muted">{field.type ?? ""}</td></tr>
                      ))}
                    </tbody>
                  </table>
                ) : (
                  <p className="subtle">No fields recorded.</p>
                )}
              </section>
            )}
          </>
        )}
        {mappings.length > 0 && (
          <section className="stack" style={{ gap: 6 }} data-testid="column-mappings">
            <h3 className="panel-title">Column lineage in</h3>
            <table className="table">
              <thead><tr><th>From</th><th>Into</th></tr></thead>
              <tbody>
                {mappings.map((mapping, index) => (
                  <tr key={index}>
                    <td><span className="mono">{mapping.source_field}</span><div className="subtle truncate">{mapping.from}</div></td>
                    <td><span className="mono">{mapping.target_field}</span>{mapping.transformation && <div className="subtle">{mapping.transformation}</div>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </section>
        )}
    </>
  );
}
