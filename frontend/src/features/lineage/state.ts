import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";

export const DEFAULT_DEPTH = 2;
export const MAX_DEPTH = 10;

/** What the explorer shows lives in the URL, so a view can be shared, bookmarked and
 * survives a reload (and a login after an expired session). */
export interface ExplorerState {
  rootId: string | null;
  upstreamDepth: number;
  downstreamDepth: number;
  columns: boolean;
  expanded: string[];
  impactId: string | null;
  dashboardId: string | null;
  showAll: boolean;
}

function depth(value: string | null): number {
  const parsed = Number(value);
  return value !== null && Number.isInteger(parsed) && parsed >= 0 ? Math.min(parsed, MAX_DEPTH) : DEFAULT_DEPTH;
}

export function readState(params: URLSearchParams): ExplorerState {
  return {
    rootId: params.get("node"),
    upstreamDepth: depth(params.get("up")),
    downstreamDepth: depth(params.get("down")),
    columns: params.get("columns") === "1",
    expanded: (params.get("expanded") ?? "").split(",").filter(Boolean),
    impactId: params.get("impact"),
    dashboardId: params.get("dashboard"),
    showAll: params.get("all") === "1",
  };
}

export function writeState(state: ExplorerState): URLSearchParams {
  const params = new URLSearchParams();
  if (state.dashboardId) params.set("dashboard", state.dashboardId);
  if (state.rootId) params.set("node", state.rootId);
  if (state.upstreamDepth !== DEFAULT_DEPTH) params.set("up", String(state.upstreamDepth));
  if (state.downstreamDepth !== DEFAULT_DEPTH) params.set("down", String(state.downstreamDepth));
  if (state.columns) params.set("columns", "1");
  if (state.expanded.length) params.set("expanded", state.expanded.join(","));
  if (state.impactId) params.set("impact", state.impactId);
  if (state.showAll) params.set("all", "1");
  return params;
}

export function useExplorerState(): [ExplorerState, (patch: Partial<ExplorerState>, options?: { push?: boolean }) => void] {
  const [params, setParams] = useSearchParams();
  const state = useMemo(() => readState(params), [params]);
  const update = useCallback(
    (patch: Partial<ExplorerState>, options?: { push?: boolean }) =>
      setParams((current) => writeState({ ...readState(current), ...patch }), { replace: !options?.push }),
    [setParams],
  );
  return [state, update];
}
