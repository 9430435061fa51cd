import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { useNavigate } from "react-router";
import { ReactFlowProvider, useReactFlow, type Viewport } from "@xyflow/react";
import type { GraphNode, Layout, SearchHit } from "../../api/types";
import { AdminOnly } from "../../auth/AuthContext";
import { ErrorState, Loading } from "../../components/feedback";
import { useOpenAlerts } from "../alerts/api";
import { DashboardForm } from "../dashboards/DashboardForm";
import { useCreateDashboard, useDashboard, useUpdateDashboard } from "../dashboards/api";
import { useCatalogNames, useFieldTrace, useImpact, useLineageGraph, usePaths } from "./api";
import { CanvasBanners } from "./CanvasBanners";
import { DetailsDrawer } from "./DetailsDrawer";
import { ExplorerToolbar, GraphCount } from "./ExplorerToolbar";
import { mergeGraphs, withoutHidden } from "./graphModel";
import { effectiveGroupBy, type GroupBy } from "./grouping";
import { ImpactPanel } from "./ImpactPanel";
import type { Positions } from "./layout";
import { LineageCanvas } from "./LineageCanvas";
import { startLayoutWorker } from "./layoutClient";
import { CanvasActionsContext, OpenAlertsContext, type CanvasActions } from "./nodes";
import { expansionKey, toggled, useExplorerState, type ExplorerState } from "./state";
import { useEmphasis } from "./useEmphasis";
import "./lineage.css";

const DEFAULT_IMPACT_DEPTH = 10;

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

/** Stable callbacks for the nodes (through context), reading the latest state by ref. */
function useCanvasActions(state: ExplorerState, update: (patch: Partial<ExplorerState>) => void, setTrace: (trace: { id: string; field: string } | null) => void): CanvasActions {
  const latest = useRef(state);
  latest.current = state;
  return useMemo(
    () => ({
      toggleExpand: (id, side) => update({ expanded: toggled(latest.current.expanded.filter((entry) => entry !== id), expansionKey(id, side)) }),
      hide: (id) => update({ hidden: [...latest.current.hidden, id] }),
      toggleGroup: (groupId) => update({ openGroups: toggled(latest.current.openGroups, groupId) }),
      traceField: (id, field) => setTrace({ id, field }),
      canExpand: !state.runId,
    }),
    [update, setTrace, state.runId],
  );
}

const NO_ALERTS: Record<string, number> = {};

function Explorer() {
  const [state, update] = useExplorerState();
  const navigate = useNavigate();
  const flow = useReactFlow();
  const { dashboard, pinned, setPinned, viewport } = useDashboardLayout(state, update);
  const lineage = useLineageGraph(state);
  const catalogNames = useCatalogNames();
  const [selected, setSelected] = useState<GraphNode | null>(null);
  const [impactDepth, setImpactDepth] = useState(DEFAULT_IMPACT_DEPTH);
  const [pathEnds, setPathEnds] = useState<{ from: GraphNode | null; to: GraphNode | null }>({ from: null, to: null });
  const [trace, setTrace] = useState<{ id: string; field: string } | null>(null);
  const impact = useImpact(state.impactId, impactDepth);
  const paths = usePaths(pathEnds.from?.id ?? null, pathEnds.to?.id ?? null, state.asOf);
  const traced = useFieldTrace(trace, state.asOf);
  const [saving, setSaving] = useState(false);
  const createDashboard = useCreateDashboard();
  const updateDashboard = useUpdateDashboard();
  const actions = useCanvasActions(state, update, setTrace);
  const openAlerts = useOpenAlerts();

  // Paths and a traced column bring their nodes onto the canvas, so what lights up is seen.
  const graph = useMemo(
    () => (lineage.graph && (paths.data || traced.data) ? mergeGraphs([lineage.graph, paths.data && { ...paths.data, truncated: false }, traced.data]) : lineage.graph),
    [lineage.graph, paths.data, traced.data],
  );
  const visible = useMemo(() => withoutHidden(graph, state.hidden), [graph, state.hidden]);
  const groupBy: GroupBy = effectiveGroupBy(state.groupBy, visible?.nodes.length ?? 0);
  const emphasis = useEmphasis(traced.data, paths.data, impact.data, graph?.nodes);
  const waitingForDashboard = Boolean(state.dashboardId && dashboard.isPending);
  const names = useMemo(() => new Map((graph?.nodes ?? []).map((node) => [node.id, node.name])), [graph]);

  const startAt = (rootId: string) => {
    setSelected(null);
    setPinned({});
    setTrace(null);
    setPathEnds({ from: null, to: null });
    update({ rootId, expanded: [], hidden: [], openGroups: [], impactId: null, groupBy: null, runId: null }, { push: true });
  };
  const showRun = (runId: string | null, processId?: string) =>
    update(runId ? { runId, rootId: processId ?? state.rootId, expanded: [], openGroups: [], impactId: null } : { runId: null }, { push: true });
  // The run picker offers the runs of the process in focus: the one selected, else the start.
  const rootNode = graph?.nodes.find((node) => node.id === state.rootId);
  const focusedProcess = [selected, rootNode].find((node) => node?.type === "process") ?? null;
  const pickHit = (hit: SearchHit) => startAt(hit.id);
  const onMoved = useCallback((id: string, position: { x: number; y: number }) => setPinned((current) => ({ ...current, [id]: position })), [setPinned]);
  const locate = (id: string, type: string) => {
    const node = flow.getNode(id);
    if (!node) return type === "node" ? navigate(`/nodes?open=${id}`) : startAt(id);
    flow.setNodes((nodes) => nodes.map((item) => ({ ...item, selected: item.id === id })));
    void flow.setCenter(node.position.x + 120, node.position.y + 30, { zoom: Math.max(flow.getZoom(), 0.9), duration: 300 });
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
    <CanvasActionsContext.Provider value={actions}>
      <OpenAlertsContext.Provider value={openAlerts.data?.counts ?? NO_ALERTS}>
      <div className="explorer">
        <ExplorerToolbar state={state} update={update} groupBy={groupBy} graph={graph} visible={visible} isFetching={lineage.isFetching} onPick={pickHit} focusedProcess={focusedProcess} onRun={showRun}>
          {state.dashboardId && dashboard.data && <span className="badge plain badge-accent" title="Open dashboard">{dashboard.data.name}</span>}
          {state.rootId && (
            <AdminOnly>
              {state.dashboardId && dashboard.data && (
                <button className="btn btn-sm" disabled={updateDashboard.isPending} onClick={() => updateDashboard.mutate({ id: state.dashboardId!, layout: currentLayout() })}>
                  {updateDashboard.isPending ? "Saving…" : updateDashboard.isSuccess ? "Saved" : "Save"}
                </button>
              )}
              <button className="btn btn-sm btn-primary nowrap" onClick={() => setSaving(true)}>
                Save as dashboard
              </button>
            </AdminOnly>
          )}
        </ExplorerToolbar>

        <div className="explorer-body">
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
          <div className="canvas-area">
            {!state.rootId && (
              <div className="explorer-empty">
                <h1>Explore lineage</h1>
                <p className="muted">Search for a table, topic, job or catalog node to see where its data comes from and what depends on it.</p>
              </div>
            )}
            {state.rootId && lineage.error && (
              <div className={graph ? "canvas-error" : "page"}>
                <ErrorState error={lineage.error} onRetry={lineage.retry} />
              </div>
            )}
            {state.rootId && (waitingForDashboard || (lineage.isPending && !graph)) && <Loading>Loading lineage…</Loading>}
            {state.rootId && visible && !waitingForDashboard && (
              <>
                <CanvasBanners
                  state={state}
                  update={update}
                  graph={visible}
                  groupBy={groupBy}
                  catalogNames={catalogNames}
                  pathEnds={pathEnds}
                  paths={paths}
                  onClearPaths={() => setPathEnds({ from: null, to: null })}
                  trace={trace}
                  traced={traced}
                  onClearTrace={() => setTrace(null)}
                />
                {graph && <GraphCount state={state} update={update} graph={graph} visible={visible} />}
                <LineageCanvas
                  graph={visible}
                  rootId={state.rootId}
                  expanded={state.expanded}
                  columns={state.columns}
                  groupBy={groupBy}
                  openGroups={state.openGroups}
                  catalogNames={catalogNames}
                  emphasis={emphasis}
                  pinned={pinned}
                  viewport={viewport}
                  onSelect={setSelected}
                  onMoved={onMoved}
                  onRendered={reportRendered}
                />
              </>
            )}
          </div>
          {selected && graph && (
            <DetailsDrawer
              key={selected.id}
              entity={selected}
              incoming={graph.edges.filter((edge) => edge.target_id === selected.id)}
              names={names}
              isRoot={selected.id === state.rootId}
              pathFrom={pathEnds.from}
              onClose={() => setSelected(null)}
              onFocus={() => startAt(selected.id)}
              onHide={() => {
                setSelected(null);
                actions.hide(selected.id);
              }}
              onImpact={() => update({ impactId: selected.id })}
              onPathFrom={() => setPathEnds({ from: selected, to: null })}
              onPathTo={() => setPathEnds((ends) => ({ ...ends, to: selected }))}
              onFocusAsset={startAt}
              onShowOnGraph={showRun}
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
          onClose={() => setSaving(false)}
          onSubmit={(values) =>
            createDashboard.mutate(
              { ...values, layout: currentLayout() },
              {
                onSuccess: (saved) => {
                  setSaving(false);
                  update({ dashboardId: saved.id });
                },
              },
            )
          }
        />
      )}
      </OpenAlertsContext.Provider>
    </CanvasActionsContext.Provider>
  );
}

/** The benchmark (bench/ui_bench.py) reads these marks; they cost nothing otherwise. */
function reportRendered(info: { nodes: number; layoutMs: number }) {
  performance.mark("dlv:graph-rendered", { detail: info });
}

// The worker starts while the session and the graph are fetched.
startLayoutWorker();

export default function ExplorerPage() {
  return (
    <ReactFlowProvider>
      <Explorer />
    </ReactFlowProvider>
  );
}
