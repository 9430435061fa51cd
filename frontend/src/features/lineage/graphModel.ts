import type { ColumnMapping, Graph, GraphEdge, GraphNode } from "../../api/types";

export interface MergedGraph {
  nodes: GraphNode[];
  edges: GraphEdge[];
  truncated: boolean;
  /** Nodes the hide_* filters folded away (their ids), for the count on the canvas. */
  hidden?: string[];
}

/** Union of several graph answers (upstream cone, downstream cone, expanded neighbourhoods);
 * a node keeps the smallest distance from a start that any answer gave it. */
export function mergeGraphs(graphs: (MergedGraph | Graph | undefined)[]): MergedGraph {
  const nodes = new Map<string, GraphNode>();
  const edges = new Map<string, GraphEdge>();
  let truncated = false;
  const hidden = new Set<string>();
  for (const graph of graphs) {
    if (!graph) continue;
    truncated ||= graph.truncated;
    for (const id of graph.hidden ?? []) hidden.add(id);
    for (const node of graph.nodes) {
      const known = nodes.get(node.id);
      if (!known || node.depth < known.depth) nodes.set(node.id, node);
    }
    for (const edge of graph.edges) {
      const known = edges.get(edge.id);
      // The answer asked with columns=true carries the mappings; keep them.
      if (!known || (!known.columns && edge.columns)) edges.set(edge.id, edge);
    }
  }
  // A node hidden by one part's filter can still be shown by another part as its start.
  for (const id of nodes.keys()) hidden.delete(id);
  return { nodes: [...nodes.values()], edges: [...edges.values()], truncated, hidden: [...hidden] };
}

/** The canvas graph without the nodes the user hid (and their edges). */
export function withoutHidden(graph: MergedGraph | null, hidden: string[]): MergedGraph | null {
  if (!graph || !hidden.length) return graph;
  const gone = new Set(hidden);
  return { ...graph, nodes: graph.nodes.filter((node) => !gone.has(node.id)), edges: graph.edges.filter((edge) => !gone.has(edge.source_id) && !gone.has(edge.target_id)) };
}

/** The columns each node takes part in through column-level lineage (what it receives and
 * what it passes on), for the column view when the graph answer lists no fields. */
export function lineageFields(edges: GraphEdge[]): Map<string, string[]> {
  const fields = new Map<string, Set<string>>();
  const add = (id: string, field: string) => (fields.get(id) ?? fields.set(id, new Set()).get(id)!).add(field);
  for (const edge of edges) {
    for (const column of edge.columns ?? []) {
      add(edge.target_id, column.target_field);
      if (!column.source_asset_id) add(edge.source_id, column.source_field);
      else add(column.source_asset_id, column.source_field);
    }
  }
  return new Map([...fields].map(([id, names]) => [id, [...names].sort()]));
}

export function describeMappings(columns: ColumnMapping[] | null | undefined): string | undefined {
  if (!columns?.length) return undefined;
  const [first, ...rest] = columns;
  const head = first.source_field === first.target_field ? first.target_field : `${first.source_field} → ${first.target_field}`;
  return rest.length ? `${head} +${rest.length}` : head;
}

const UNHEALTHY = new Set(["error", "failed", "fail", "aborted"]);

export function isUnhealthy(health: string | null | undefined): boolean {
  return UNHEALTHY.has((health ?? "").toLowerCase());
}
