import { useMemo, useRef } from "react";
import { keepPreviousData, useQueries, useQuery, type QueryClient } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { AssetRead, Direction, Graph, ProcessRead } from "../../api/types";
import { hideFiltersOf, hideQuery, type HideFilters } from "./filters";
import { mergeGraphs, type MergedGraph } from "./graphModel";
import { expansionRequests, readState, type ExplorerState } from "./state";

/** Every lineage query key, for the hooks below and for the live-events invalidation. */
export const lineageKeys = {
  graphs: ["graph"] as const,
  graph: (request: GraphRequest | RunGraphRequest) => ["graph", request] as const,
  entities: ["entity"] as const,
  entity: (type: string, id: string) => ["entity", type, id] as const,
  impacts: ["impact"] as const,
  impact: (nodeId: string | null, depth: number) => ["impact", nodeId, depth] as const,
  runsAll: ["runs"] as const,
  runs: (processId: string, page: number) => ["runs", processId, page] as const,
  runAll: ["run"] as const,
  run: (runId: string) => ["run", runId] as const,
  versionsAll: ["versions"] as const,
  versions: (assetId: string, page: number) => ["versions", assetId, page] as const,
  versionDiffs: ["version-diff"] as const,
  versionDiff: (assetId: string, fromRunId: string, toRunId: string) => ["version-diff", assetId, fromRunId, toRunId] as const,
  pathsAll: ["paths"] as const,
  paths: (fromId: string, toId: string, asOf: string | null) => ["paths", fromId, toId, asOf] as const,
  fieldTraces: ["field-trace"] as const,
  fieldTrace: (assetId: string, field: string, asOf: string | null) => ["field-trace", assetId, field, asOf] as const,
  searches: ["search"] as const,
  search: (text: string) => ["search", text] as const,
  catalogNames: ["catalog-names"] as const,
};

/** What one graph request asks; the options shared by every part of the canvas. */
export interface GraphOptions {
  columns: boolean;
  asOf: string | null;
  hide: HideFilters;
}
interface RunGraphRequest {
  runId: string;
  columns: boolean;
}
interface GraphRequest extends GraphOptions {
  nodeId: string;
  direction: Direction;
  depth: number;
}

function graphQuery(request: GraphRequest) {
  const { nodeId, direction, depth, columns, asOf, hide } = request;
  const query = {
    node_id: nodeId,
    direction,
    depth,
    columns,
    ...(asOf ? { as_of: asOf } : {}),
    ...hideQuery(hide),
  };
  return {
    queryKey: lineageKeys.graph(request),
    queryFn: () => unwrap<Graph>(api.GET("/api/lineage/graph", { params: { query } })),
    staleTime: 60_000,
    // Changing depth or columns keeps the current canvas until the new answer arrives.
    placeholderData: keepPreviousData,
  };
}

/** What one run touched (graph?run_id=), in place of the live graph. */
function runGraphQuery(runId: string, columns: boolean) {
  return {
    queryKey: lineageKeys.graph({ runId, columns }),
    queryFn: () => unwrap<Graph>(api.GET("/api/lineage/graph", { params: { query: { run_id: runId, columns } } })),
    staleTime: 60_000,
  };
}

type GraphResult = { data?: Graph; error: Error | null; isPending: boolean; isFetching: boolean; refetch: () => unknown };

// Module-level so TanStack Query can memoise the combined result between renders.
function combineGraphs(results: GraphResult[]) {
  const failed = results.find((result) => result.error);
  return {
    // Shown once every part has answered (a half graph would be laid out twice); while a
    // depth or columns change loads, the parts keep their previous data (placeholderData).
    graph: results.length > 0 && results.every((result) => result.data) ? mergeGraphs(results.map((result) => result.data)) : null,
    isPending: results.some((result) => result.isPending),
    isFetching: results.some((result) => result.isFetching),
    error: failed?.error ?? null,
    retry: () => results.forEach((result) => result.error && void result.refetch()),
  };
}

/** The canvas graph: the root's upstream and downstream cones (each with its own depth)
 * plus one hop from every expanded node on the side it was expanded, merged. */
/** The graph requests the canvas of this state is made of: the root's upstream and
 * downstream cones, and one hop from each expanded node. */
export function canvasQueries(state: ExplorerState) {
  const { rootId, upstreamDepth, downstreamDepth, expanded } = state;
  if (!rootId) return [];
  if (state.runId) return [runGraphQuery(state.runId, state.columns)];
  const options: GraphOptions = { columns: state.columns, asOf: state.asOf, hide: hideFiltersOf(state) };
  return [
    graphQuery({ nodeId: rootId, direction: "upstream", depth: upstreamDepth, ...options }),
    graphQuery({ nodeId: rootId, direction: "downstream", depth: downstreamDepth, ...options }),
    ...expansionRequests(expanded).map(({ id, direction }) => graphQuery({ nodeId: id, direction, depth: 1, ...options })),
  ];
}

/** Opening a shared link to the explorer: its graph is asked for while the session is still
 * being checked, not after (a stale session answers 401 here as it would there). */
export function prefetchExplorerGraph(client: QueryClient, search: string): void {
  for (const query of canvasQueries(readState(new URLSearchParams(search)))) void client.prefetchQuery(query);
  // Its first layout starts when the graph arrives, while React is still mounting the page.
  void import("./earlyLayout").then(({ layOutEarly }) => layOutEarly(client, search));
}

export function useLineageGraph(state: ExplorerState): {
  graph: MergedGraph | null;
  isPending: boolean;
  isFetching: boolean;
  error: Error | null;
  retry: () => void;
} {
  const { rootId } = state;
  const result = useQueries({ queries: canvasQueries(state), combine: combineGraphs });
  // A new part (a node expanded) has no placeholder: keep showing the last whole graph of
  // the same start until it arrives, so the canvas is not torn down and rebuilt.
  const last = useRef<{ rootId: string | null; graph: MergedGraph | null }>({ rootId: null, graph: null });
  if (result.graph) last.current = { rootId, graph: result.graph };
  const shown = result.graph ?? (result.isFetching && last.current.rootId === rootId ? last.current.graph : null);
  return { ...result, graph: shown };
}

export type EntityDetails = { kind: "asset"; data: AssetRead } | { kind: "process"; data: ProcessRead };

async function fetchEntity(id: string, type: string): Promise<EntityDetails> {
  if (type === "process")
    return { kind: "process", data: await unwrap(api.GET("/api/lineage/processes/{process_id}", { params: { path: { process_id: id } } })) };
  return { kind: "asset", data: await unwrap(api.GET("/api/lineage/assets/{asset_id}", { params: { path: { asset_id: id } } })) };
}

export function useEntityDetails(id: string, type: string) {
  return useQuery({ queryKey: lineageKeys.entity(type, id), queryFn: () => fetchEntity(id, type), meta: { silent: true } });
}

export function useImpact(nodeId: string | null, depth: number) {
  return useQuery({
    queryKey: lineageKeys.impact(nodeId, depth),
    enabled: Boolean(nodeId),
    queryFn: () => unwrap(api.GET("/api/lineage/impact", { params: { query: { node_id: nodeId!, depth } } })),
    meta: { silent: true },
  });
}

export function useSearch(text: string) {
  const q = text.trim();
  return useQuery({
    queryKey: lineageKeys.search(q),
    enabled: q.length >= 1,
    queryFn: () => unwrap(api.GET("/api/search", { params: { query: { q, limit: 12 } } })),
    staleTime: 30_000,
    meta: { silent: true },
  });
}

/** Every directed path between two nodes (the paths panel). */
export function usePaths(fromId: string | null, toId: string | null, asOf: string | null) {
  return useQuery({
    queryKey: lineageKeys.paths(fromId ?? "", toId ?? "", asOf),
    enabled: Boolean(fromId && toId),
    queryFn: () =>
      unwrap(api.GET("/api/lineage/paths", { params: { query: { from_id: fromId!, to_id: toId!, ...(asOf ? { as_of: asOf } : {}) } } })),
    meta: { silent: true },
  });
}

/** One column followed both ways through the jobs (field=). */
export function useFieldTrace(trace: { id: string; field: string } | null, asOf: string | null) {
  return useQuery({
    queryKey: lineageKeys.fieldTrace(trace?.id ?? "", trace?.field ?? "", asOf),
    enabled: Boolean(trace),
    queryFn: () =>
      unwrap<Graph>(
        api.GET("/api/lineage/graph", {
          params: { query: { node_id: trace!.id, field: trace!.field, direction: "both", depth: MAX_TRACE_DEPTH, ...(asOf ? { as_of: asOf } : {}) } },
        }),
      ),
    meta: { silent: true },
  });
}
const MAX_TRACE_DEPTH = 10;

/** Catalog node names, for the chips and groups on the canvas (ids alone say nothing). */
export function useCatalogNames(): Map<string, string> {
  const nodes = useQuery({
    queryKey: lineageKeys.catalogNames,
    queryFn: () => unwrap(api.GET("/api/nodes", { params: { query: { pageSize: 500, currentPage: 1 } } })),
    staleTime: 60_000,
    meta: { silent: true },
  });
  return useMemo(() => new Map((nodes.data?.items ?? []).map((node) => [node.id, node.name])), [nodes.data]);
}
