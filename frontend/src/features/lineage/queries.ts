import { keepPreviousData, useQueries, useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import type { AssetRead, Direction, Graph, ProcessRead } from "../../api/types";
import { mergeGraphs, type MergedGraph } from "./graphModel";
import type { ExplorerState } from "./state";

function graphQuery(nodeId: string, direction: Direction, depth: number, columns: boolean) {
  return {
    queryKey: ["graph", nodeId, direction, depth, columns],
    queryFn: () =>
      unwrap<Graph>(api.GET("/api/lineage/graph", { params: { query: { node_id: nodeId, direction, depth, columns } } })),
    staleTime: 60_000,
    // Changing depth or columns keeps the current canvas until the new answer arrives.
    placeholderData: keepPreviousData,
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
 * plus the depth-1 neighbourhood of every expanded node, merged. */
export function useLineageGraph(state: ExplorerState): {
  graph: MergedGraph | null;
  isPending: boolean;
  isFetching: boolean;
  error: Error | null;
  retry: () => void;
} {
  const { rootId, upstreamDepth, downstreamDepth, columns, expanded } = state;
  return useQueries({
    queries: rootId
      ? [
          graphQuery(rootId, "upstream", upstreamDepth, columns),
          graphQuery(rootId, "downstream", downstreamDepth, columns),
          ...expanded.map((id) => graphQuery(id, "both", 1, columns)),
        ]
      : [],
    combine: combineGraphs,
  });
}

export type EntityDetails = { kind: "asset"; data: AssetRead } | { kind: "process"; data: ProcessRead };

async function fetchEntity(id: string, type: string): Promise<EntityDetails> {
  if (type === "process")
    return { kind: "process", data: await unwrap(api.GET("/api/lineage/processes/{process_id}", { params: { path: { process_id: id } } })) };
  return { kind: "asset", data: await unwrap(api.GET("/api/lineage/assets/{asset_id}", { params: { path: { asset_id: id } } })) };
}

export function useEntityDetails(id: string, type: string) {
  return useQuery({ queryKey: ["entity", type, id], queryFn: () => fetchEntity(id, type), meta: { silent: true } });
}

export function useImpact(nodeId: string | null, depth: number) {
  return useQuery({
    queryKey: ["impact", nodeId, depth],
    enabled: Boolean(nodeId),
    queryFn: () => unwrap(api.GET("/api/lineage/impact", { params: { query: { node_id: nodeId!, depth } } })),
    meta: { silent: true },
  });
}

export function useSearch(text: string) {
  const q = text.trim();
  return useQuery({
    queryKey: ["search", q],
    enabled: q.length >= 1,
    queryFn: () => unwrap(api.GET("/api/search", { params: { query: { q, limit: 12 } } })),
    staleTime: 30_000,
    meta: { silent: true },
  });
}
