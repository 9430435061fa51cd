import type { GraphEdge, GraphNode } from "../../api/types";
import { isUnhealthy, type MergedGraph } from "./graphModel";
import { namespaceChip } from "./labels";

export type GroupBy = "none" | "namespace" | "catalog" | "parent";

/** Past this many nodes single boxes stop being readable at a size that fits the screen. */
export const GROUP_THRESHOLD = 300;

/** The grouping in force: the one chosen, else by namespace past GROUP_THRESHOLD nodes. */
export function effectiveGroupBy(chosen: GroupBy | null, nodes: number): GroupBy {
  return chosen ?? (nodes > GROUP_THRESHOLD ? "namespace" : "none");
}

export interface NodeGroup {
  id: string;
  label: string;
  /** What the label names, for the hover title: the full namespace or catalog node. */
  title: string;
  assets: number;
  processes: number;
  unhealthy: number;
}

/** One drawn edge: between two entities it is the lineage edge itself; touching a closed
 * group it stands for `count` edges. */
export interface ViewLink {
  id: string;
  source: string;
  target: string;
  count: number;
  edge?: GraphEdge;
}

export interface GroupedView {
  entities: GraphNode[];
  groups: NodeGroup[];
  links: ViewLink[];
  /** Each graph node's id on the canvas: its own, or its closed group's. */
  shownAs: Map<string, string>;
}

/** Which group a node belongs to. Processes live in no catalog node, so under "catalog"
 * they group by namespace; under "parent" a process goes with its enclosing job (an
 * Airflow DAG's tasks), and everything else stays on its own. */
export function groupKey(node: GraphNode, groupBy: GroupBy, catalogNames: Map<string, string>): { id: string; label: string; title: string } | null {
  if (groupBy === "none") return null;
  if (groupBy === "parent") {
    if (!node.parent_id) return null;
    const name = node.parent_name ?? node.parent_id.slice(0, 8);
    return { id: `job:${node.parent_id}`, label: name, title: `job ${name}` };
  }
  if (groupBy === "catalog" && node.node_id) {
    const name = catalogNames.get(node.node_id) ?? node.node_id.slice(0, 8);
    return { id: `node:${node.node_id}`, label: name, title: `catalog node ${name}` };
  }
  return { id: `ns:${node.namespace}`, label: namespaceChip(node.namespace), title: node.namespace };
}

/** Closed groups are drawn as one box; the nodes of open groups (and of none) are drawn
 * themselves, so opening a group expands it in place while the rest stays summarised. */
export function groupGraph(graph: MergedGraph, groupBy: GroupBy, open: ReadonlySet<string>, catalogNames = new Map<string, string>()): GroupedView {
  const groups = new Map<string, NodeGroup>();
  const shownAs = new Map<string, string>();
  const entities: GraphNode[] = [];
  for (const node of graph.nodes) {
    const key = groupKey(node, groupBy, catalogNames);
    if (!key || open.has(key.id)) {
      entities.push(node);
      shownAs.set(node.id, node.id);
      continue;
    }
    shownAs.set(node.id, key.id);
    const group = groups.get(key.id) ?? { ...key, assets: 0, processes: 0, unhealthy: 0 };
    if (node.type === "process") group.processes += 1;
    else group.assets += 1;
    if (isUnhealthy(node.health)) group.unhealthy += 1;
    groups.set(key.id, group);
  }
  const links = new Map<string, ViewLink>();
  for (const edge of graph.edges) {
    const source = shownAs.get(edge.source_id);
    const target = shownAs.get(edge.target_id);
    if (!source || !target || source === target) continue;
    if (source === edge.source_id && target === edge.target_id) {
      links.set(edge.id, { id: edge.id, source, target, count: 1, edge });
      continue;
    }
    const id = `${source}->${target}`;
    const link = links.get(id) ?? { id, source, target, count: 0 };
    link.count += 1;
    links.set(id, link);
  }
  return { entities, groups: [...groups.values()], links: [...links.values()], shownAs };
}

/** The full title of each group the graph's nodes fall in (for naming open groups). */
export function groupTitles(graph: MergedGraph, groupBy: GroupBy, catalogNames: Map<string, string>): Map<string, string> {
  const titles = new Map<string, string>();
  for (const node of graph.nodes) {
    const key = groupKey(node, groupBy, catalogNames);
    if (key && !titles.has(key.id)) titles.set(key.id, key.title);
  }
  return titles;
}
