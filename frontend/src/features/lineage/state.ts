import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";
import type { GroupBy } from "./grouping";

/** The explorer opens one hop each side; the + buttons on each node go further. */
export const DEFAULT_DEPTH = 1;
export const MAX_DEPTH = 10;
const GROUPINGS: GroupBy[] = ["none", "namespace", "catalog", "parent"];

export type Side = "up" | "down";

/** What the explorer shows lives in the URL, so a view can be shared, bookmarked and
 * survives a reload (and a login after an expired session). */
export interface ExplorerState {
  rootId: string | null;
  upstreamDepth: number;
  downstreamDepth: number;
  columns: boolean;
  /** Nodes opened one hop further: `u:<id>` upstream, `d:<id>` downstream (a bare id, as
   * older dashboards saved it, opens both sides). */
  expanded: string[];
  /** Nodes the user hid from the canvas. */
  hidden: string[];
  /** null: automatic (by namespace past the size where single nodes stop being readable). */
  groupBy: GroupBy | null;
  openGroups: string[];
  /** Kinds the server folds away, keeping the paths through them (hide_kinds=). */
  hideKinds: string[];
  /** Namespaces, tags, owners and health values folded away the same way (hide_*=). */
  hideNamespaces: string[];
  hideTags: string[];
  hideOwners: string[];
  hideHealth: string[];
  /** An OpenLineage runId: the canvas shows what that run touched instead of the live graph. */
  runId: string | null;
  impactId: string | null;
  dashboardId: string | null;
  /** ISO instant: the graph as it was then. */
  asOf: string | null;
}

function depth(value: string | null): number {
  const parsed = Number(value);
  return value !== null && Number.isInteger(parsed) && parsed >= 0 ? Math.min(parsed, MAX_DEPTH) : DEFAULT_DEPTH;
}

const list = (value: string | null) => (value ?? "").split(",").filter(Boolean);

export function readState(params: URLSearchParams): ExplorerState {
  const group = params.get("group") as GroupBy | null;
  return {
    rootId: params.get("node"),
    upstreamDepth: depth(params.get("up")),
    downstreamDepth: depth(params.get("down")),
    columns: params.get("columns") === "1",
    expanded: list(params.get("expanded")),
    hidden: list(params.get("hidden")),
    groupBy: group && GROUPINGS.includes(group) ? group : null,
    openGroups: list(params.get("open")),
    hideKinds: list(params.get("hide_kinds")),
    hideNamespaces: list(params.get("hide_namespaces")),
    hideTags: list(params.get("hide_tags")),
    hideOwners: list(params.get("hide_owners")),
    hideHealth: list(params.get("hide_health")),
    runId: params.get("run"),
    impactId: params.get("impact"),
    dashboardId: params.get("dashboard"),
    asOf: params.get("as_of"),
  };
}

export function writeState(state: ExplorerState): URLSearchParams {
  const params = new URLSearchParams();
  const put = (key: string, value: string | null | false) => value && params.set(key, value);
  put("dashboard", state.dashboardId);
  put("node", state.rootId);
  put("up", state.upstreamDepth !== DEFAULT_DEPTH && String(state.upstreamDepth));
  put("down", state.downstreamDepth !== DEFAULT_DEPTH && String(state.downstreamDepth));
  put("columns", state.columns && "1");
  put("expanded", state.expanded.join(","));
  put("hidden", state.hidden.join(","));
  put("group", state.groupBy);
  put("open", state.openGroups.join(","));
  put("hide_kinds", state.hideKinds.join(","));
  put("hide_namespaces", state.hideNamespaces.join(","));
  put("hide_tags", state.hideTags.join(","));
  put("hide_owners", state.hideOwners.join(","));
  put("hide_health", state.hideHealth.join(","));
  put("run", state.runId);
  put("impact", state.impactId);
  put("as_of", state.asOf);
  return params;
}

export function expansionKey(id: string, side: Side): string {
  return `${side === "up" ? "u" : "d"}:${id}`;
}

/** The expansions as graph requests: which node, which direction. */
export function expansionRequests(expanded: string[]): { id: string; direction: "upstream" | "downstream" | "both" }[] {
  return expanded.map((entry) => {
    if (entry.startsWith("u:")) return { id: entry.slice(2), direction: "upstream" };
    if (entry.startsWith("d:")) return { id: entry.slice(2), direction: "downstream" };
    return { id: entry, direction: "both" };
  });
}

/** Adds the entry when missing, removes it when present. */
export function toggled(values: string[], value: string): string[] {
  return values.includes(value) ? values.filter((item) => item !== value) : [...values, value];
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
