import type { GraphNode } from "../../api/types";
import type { MergedGraph } from "./graphModel";
import type { ExplorerState } from "./state";

/** The server-side filters of the canvas: each folds matching nodes away and keeps the paths
 * through them as edges carrying `via` (GET /api/lineage/graph?hide_*=). */
export const FILTERS = [
  { key: "hideNamespaces", param: "hide_namespaces", label: "Namespace", values: (node: GraphNode) => [node.namespace] },
  { key: "hideTags", param: "hide_tags", label: "Tag", values: (node: GraphNode) => node.tags ?? [] },
  { key: "hideOwners", param: "hide_owners", label: "Owner", values: (node: GraphNode) => (node.owner ? [node.owner] : []) },
  { key: "hideHealth", param: "hide_health", label: "Health", values: (node: GraphNode) => [node.health ?? "unknown"] },
] as const;

export type FilterKey = (typeof FILTERS)[number]["key"] | "hideKinds";
export type HideFilters = Pick<ExplorerState, FilterKey>;

export function hideFiltersOf(state: ExplorerState): HideFilters {
  const { hideKinds, hideNamespaces, hideTags, hideOwners, hideHealth } = state;
  return { hideKinds, hideNamespaces, hideTags, hideOwners, hideHealth };
}

/** The hide_* query parameters of a graph request (only those in use). */
export function hideQuery(filters: HideFilters): Record<string, string[]> {
  const query: Record<string, string[]> = {};
  if (filters.hideKinds.length) query.hide_kinds = filters.hideKinds;
  for (const filter of FILTERS) if (filters[filter.key].length) query[filter.param] = filters[filter.key];
  return query;
}

export function activeFilterCount(filters: HideFilters): number {
  return FILTERS.reduce((sum, filter) => sum + filters[filter.key].length, filters.hideKinds.length);
}

/** Per filter, the values to offer: those the nodes on the canvas carry, plus those already
 * hidden (their nodes are no longer in the answer, but the user must be able to show them). */
export function filterChoices(graph: MergedGraph | null, filters: HideFilters): { key: FilterKey; label: string; values: { value: string; hidden: boolean }[] }[] {
  return FILTERS.map((filter) => {
    const present = new Set((graph?.nodes ?? []).flatMap(filter.values));
    const hidden = new Set(filters[filter.key]);
    const values = [...new Set([...present, ...hidden])].sort((a, b) => a.localeCompare(b));
    return { key: filter.key, label: filter.label, values: values.map((value) => ({ value, hidden: hidden.has(value) })) };
  });
}
