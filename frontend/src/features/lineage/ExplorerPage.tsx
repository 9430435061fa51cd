import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { ReactFlowProvider, useReactFlow, type Viewport } from "@xyflow/react";
import type { GraphNode, Layout, SearchHit } from "../../api/types";
import { AdminOnly } from "../../auth/AuthContext";
import { ErrorState, Loading, Spinner } from "../../components/feedback";
import { DashboardForm } from "../dashboards/DashboardForm";
import { useCreateDashboard, useDashboard, useUpdateDashboard } from "../dashboards/api";
import { DetailsDrawer } from "./DetailsDrawer";
import { ImpactPanel } from "./ImpactPanel";
import { GROUP_THRESHOLD, LineageCanvas } from "./LineageCanvas";
import { CanvasActionsContext } from "./nodes";
import type { Positions } from "./layout";
import { useImpact, useLineageGraph } from "./queries";
import { SearchBox } from "./SearchBox";
import { MAX_DEPTH, useExplorerState, type ExplorerState } from "./state";
import "./lineage.css";

const DEFAULT_IMPACT_DEPTH = 10;

function DepthInput({ id, label, value, onChange }: { id: string; label: string; value: number; onChange: (value: number) => void }) {
  return (
    <div className="depth-control">
      <label htmlFor={id}>{label}</label>
      <button className="btn btn-sm btn-icon" aria-label={`Less ${label.toLowerCase()} depth`} disabled={value <= 0} onClick={() => onChange(value - 1)}>
        −
      </button>
      <input
        id={id}
        className="input"
        type="number"
        min={0}
        max={MAX_DEPTH}
        value={value}
        onChange={(event) => {
          const next = Number(event.target.value);
          if (Number.isInteger(next) && next >= 0 && next <= MAX_DEPTH) onChange(next);
        }}
      />
      <button className="btn btn-sm btn-icon" aria-label={`More ${label.toLowerCase()} depth`} disabled={value >= MAX_DEPTH} onClick={() => onChange(value + 1)}>
        +
      </button>
    </div>
  );
}

/** The dashboard named in the URL is applied once: its settings go into the URL state, its
 * node positions are pinned and its viewport restored. */
function useDashboardLayout(state: ExplorerState, update: (patch: Partial<ExplorerState>) => void) {
  const dashboard = useDashboard(state.dashboardId);
  const appliedId = useRef<string | null>(null);
  const [pinned, setPinned] = useState<Positions>({});
  const [viewport, setViewport] = useState<Viewport | null>(null);

  useEffect(() => {
    const data = dashboard.data;
    if (!data || appliedId.current === data.id) return;
    appliedId.current = data.id;
    const layout = data.layout;
    setPinned(layout.positions ?? {});
    setViewport(layout.viewport ?? null);
    update({
      rootId: layout.root_id ?? null,
      upstreamDepth: layout.upstream_depth,
      downstreamDepth: layout.downstream_depth,
      columns: layout.columns,
      expanded: layout.expanded ?? [],
      impactId: layout.impact ? (layout.root_id ?? null) : null,
    });
  }, [dashboard.data, update]);

  return { dashboard, pinned, setPinned, viewport };
}

function Explorer() {
  const [state, update] = useExplorerState();
  const navigate = useNavigate();
  const flow = useReactFlow();
  const { dashboard, pinned, setPinned, viewport } = useDashboardLayout(state, update);
  const lineage = useLineageGraph(state);
  const [selected, setSelected] = useState<GraphNode | null>(null);
  const [impactDepth, setImpactDepth] = useState(DEFAULT_IMPACT_DEPTH);
  const impact = useImpact(state.impactId, impactDepth);
  const [saving, setSaving] = useState<"new" | null>(null);
  const createDashboard = useCreateDashboard();
  const updateDashboard = useUpdateDashboard();

  const graph = lineage.graph;
  // A dashboard's positions and viewport must be known before the first layout is shown.
  const waitingForDashboard = Boolean(state.dashboardId && dashboard.isPending);
  const grouped = Boolean(graph && graph.nodes.length > GROUP_THRESHOLD && !state.showAll);
  const highlighted = useMemo(
    () => (impact.data ? new Set([impact.data.root.id, ...impact.data.impacted.map((item) => item.id)]) : null),
    [impact.data],
  );
  const names = useMemo(() => new Map((graph?.nodes ?? []).map((node) => [node.id, node.name])), [graph]);

  const pickHit = (hit: SearchHit) => {
    if (hit.type === "node") navigate(`/nodes?open=${hit.id}`);
    else {
      setSelected(null);
      setPinned({});
      update({ rootId: hit.id, expanded: [], impactId: null, showAll: false }, { push: true });
    }
  };
  // Stable across expansions, so the context it travels in does not re-render every node.
  const expandedRef = useRef(state.expanded);
  expandedRef.current = state.expanded;
  const toggleExpand = useCallback((id: string) => {
    const current = expandedRef.current;
    update({ expanded: current.includes(id) ? current.filter((item) => item !== id) : [...current, id] });
  }, [update]);
  const onMoved = useCallback((id: string, position: { x: number; y: number }) => setPinned((current) => ({ ...current, [id]: position })), [setPinned]);
  const locate = (id: string) => {
    const node = flow.getNode(id);
    if (node) {
      flow.setNodes((nodes) => nodes.map((item) => ({ ...item, selected: item.id === id })));
      void flow.setCenter(node.position.x + 120, node.position.y + 30, { zoom: Math.max(flow.getZoom(), 0.9), duration: 300 });
    }
  };

  const currentLayout = (): Layout => ({
    root_id: state.rootId,
    upstream_depth: state.upstreamDepth,
    downstream_depth: state.downstreamDepth,
    columns: state.columns,
    expanded: state.expanded,
    impact: Boolean(state.impactId),
    positions: Object.fromEntries(flow.getNodes().filter((node) => node.type === "entity").map((node) => [node.id, { x: node.position.x, y: node.position.y }])),
    viewport: flow.getViewport(),
    annotations: dashboard.data?.layout.annotations ?? [],
  });

  return (
    <CanvasActions toggleExpand={toggleExpand}>
      <div className="explorer">
        <div className="explorer-toolbar" role="toolbar" aria-label="Lineage controls">
          <SearchBox onPick={pickHit} autoFocus={!state.rootId} />
          {state.rootId && (
            <>
              <DepthInput id="upstream-depth" label="Upstream" value={state.upstreamDepth} onChange={(value) => update({ upstreamDepth: value })} />
              <DepthInput id="downstream-depth" label="Downstream" value={state.downstreamDepth} onChange={(value) => update({ downstreamDepth: value })} />
              <button className="btn btn-sm" aria-pressed={state.columns} onClick={() => update({ columns: !state.columns })}>
                Columns
              </button>
              <button className="btn btn-sm" aria-pressed={Boolean(state.impactId)} onClick={() => update({ impactId: state.impactId ? null : state.rootId })}>
                Impact
              </button>
            </>
          )}
          <span className="spacer" />
          {lineage.isFetching && <Spinner label="Loading lineage" />}
          {graph && (
            <span className="subtle" data-testid="graph-count">
              {graph.nodes.length} nodes · {graph.edges.length} edges
              {graph.truncated && <span className="badge badge-warn" style={{ marginLeft: 6 }}>truncated</span>}
            </span>
          )}
          {state.dashboardId && dashboard.data && <span className="badge plain badge-accent" title="Open dashboard">{dashboard.data.name}</span>}
          {state.rootId && (
            <AdminOnly>
              {state.dashboardId && dashboard.data && (
                <button
                  className="btn btn-sm"
                  disabled={updateDashboard.isPending}
                  onClick={() => updateDashboard.mutate({ id: state.dashboardId!, layout: currentLayout() })}
                >
                  {updateDashboard.isPending ? "Saving…" : updateDashboard.isSuccess ? "Saved" : "Save"}
                </button>
              )}
              <button className="btn btn-sm btn-primary" onClick={() => setSaving("new")}>
                Save as dashboard
              </button>
            </AdminOnly>
          )}
        </div>

        <div className="explorer-body">
          {!state.rootId && (
            <div className="explorer-empty">
              <h1>Explore lineage</h1>
              <p className="muted">Search for a table, topic, job or catalog node to see where its data comes from and what depends on it.</p>
            </div>
          )}
          {state.rootId && lineage.error && !graph && (
            <div className="page">
              <ErrorState error={lineage.error} onRetry={lineage.retry} />
            </div>
          )}
          {state.rootId && (waitingForDashboard || (lineage.isPending && !graph)) && <Loading>Loading lineage…</Loading>}
          {state.rootId && graph && !waitingForDashboard && (
            <>
              {grouped && (
                <div className="canvas-banner" role="status">
                  This lineage has {graph.nodes.length} nodes, so it is grouped by namespace to stay readable.
                  <button className="btn btn-sm" onClick={() => update({ showAll: true })}>
                    Show all {graph.nodes.length} nodes
                  </button>
                </div>
              )}
              <LineageCanvas
                graph={graph}
                rootId={state.rootId}
                expanded={state.expanded}
                columns={state.columns}
                grouped={grouped}
                highlighted={highlighted}
                pinned={pinned}
                viewport={viewport}
                onSelect={setSelected}
                onMoved={onMoved}
                onRendered={reportRendered}
              />
            </>
          )}
          {state.impactId && (
            <ImpactPanel
              nodeId={state.impactId}
              depth={impactDepth}
              onDepth={setImpactDepth}
              impact={impact.data}
              isPending={impact.isPending}
              error={impact.error}
              onRetry={() => void impact.refetch()}
              onClose={() => update({ impactId: null })}
              onLocate={locate}
            />
          )}
          {selected && graph && (
            <DetailsDrawer
              key={selected.id}
              entity={selected}
              incoming={graph.edges.filter((edge) => edge.target_id === selected.id)}
              names={names}
              isRoot={selected.id === state.rootId}
              expanded={state.expanded.includes(selected.id)}
              onClose={() => setSelected(null)}
              onFocus={() => {
                setPinned({});
                update({ rootId: selected.id, expanded: [], impactId: null }, { push: true });
              }}
              onToggleExpand={() => toggleExpand(selected.id)}
              onImpact={() => update({ impactId: selected.id })}
            />
          )}
        </div>
      </div>
      {saving && (
        <DashboardForm
          title="Save as dashboard"
          submitLabel="Save"
          busy={createDashboard.isPending}
          error={createDashboard.error?.message}
          onClose={() => setSaving(null)}
          onSubmit={(values) =>
            createDashboard.mutate(
              { ...values, layout: currentLayout() },
              {
                onSuccess: (saved) => {
                  setSaving(null);
                  update({ dashboardId: saved.id });
                },
              },
            )
          }
        />
      )}
    </CanvasActions>
  );
}

/** The benchmark (bench/ui_bench.py) reads these marks; they cost nothing otherwise. */
function reportRendered(info: { nodes: number; layoutMs: number }) {
  performance.mark("dlv:graph-rendered", { detail: info });
}

function CanvasActions({ toggleExpand, children }: { toggleExpand: (id: string) => void; children: React.ReactNode }) {
  const value = useMemo(() => ({ toggleExpand }), [toggleExpand]);
  return <CanvasActionsContext.Provider value={value}>{children}</CanvasActionsContext.Provider>;
}

export default function ExplorerPage() {
  return (
    <ReactFlowProvider>
      <Explorer />
    </ReactFlowProvider>
  );
}
