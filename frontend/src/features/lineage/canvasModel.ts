import { MarkerType, type Edge, type Node } from "@xyflow/react";
import type { ColumnMapping, GraphNode } from "../../api/types";
import { describeMappings, lineageFields, type MergedGraph } from "./graphModel";
import { groupGraph, type GroupBy, type GroupedView, type ViewLink } from "./grouping";
import { namespaceChip, uniqueSuffixes } from "./labels";
import type { Box, Link, Positions } from "./layout";
import { GROUP_HEIGHT, GROUP_WIDTH, NODE_WIDTH, entityHeight, presized, type EntityData, type GroupData } from "./nodes";
import { expansionKey } from "./state";

const EDGE_MARKER = { type: MarkerType.ArrowClosed, width: 16, height: 16 };
const NO_FIELDS: string[] = [];

export interface CanvasOptions {
  groupBy: GroupBy;
  openGroups: ReadonlySet<string>;
  catalogNames: Map<string, string>;
  columns: boolean;
}

/** What the canvas draws before layout: entities and closed groups, their labels and sizes. */
export interface CanvasShape {
  view: GroupedView;
  labels: Map<string, string>;
  fields: Map<string, string[]>;
  boxes: Box[];
  links: Link[];
  /** Changes exactly when the layout must run again. */
  key: string;
  /** Closed groups on the canvas: a handful of summary boxes, laid out without ELK. */
  quick: boolean;
  groupBy: GroupBy;
}

/** Column view: the asset's own field list when the graph has it, else the columns its
 * column-level lineage mentions. */
function fieldsByNode(graph: MergedGraph, columns: boolean): Map<string, string[]> {
  if (!columns) return new Map();
  const fromLineage = lineageFields(graph.edges);
  return new Map(graph.nodes.map((node) => [node.id, node.fields?.length ? node.fields : (fromLineage.get(node.id) ?? NO_FIELDS)]));
}

export function canvasShape(graph: MergedGraph, options: CanvasOptions): CanvasShape {
  const view = groupGraph(graph, options.groupBy, options.openGroups, options.catalogNames);
  const fields = fieldsByNode(graph, options.columns);
  const boxes = [
    ...view.entities.map((node) => ({ id: node.id, width: NODE_WIDTH, height: entityHeight(fields.get(node.id) ?? NO_FIELDS) })),
    ...view.groups.map((group) => ({ id: group.id, width: GROUP_WIDTH, height: GROUP_HEIGHT })),
  ];
  const links = view.links.map(({ id, source, target }) => ({ id, source, target }));
  const key = `${boxes.map((box) => `${box.id}:${box.height}`).sort().join(",")}|${links.map((link) => link.id).sort().join(",")}`;
  return { view, labels: uniqueSuffixes(view.entities), fields, boxes, links, key, quick: view.groups.length > 0, groupBy: options.groupBy };
}

export function chipOf(node: GraphNode, catalogNames: Map<string, string>): string {
  return (node.node_id && catalogNames.get(node.node_id)) || namespaceChip(node.namespace);
}

/** Which ids stand out (impact, paths, a traced column); everything else is dimmed. */
export interface Emphasis {
  ids: Set<string>;
  /** Per asset, the columns on a traced column's path. */
  fields?: Map<string, string[]>;
}

export interface FlowInput {
  shape: CanvasShape;
  rootId: string;
  expanded: ReadonlySet<string>;
  emphasis: Emphasis | null;
  catalogNames: Map<string, string>;
  place: (id: string) => { x: number; y: number };
  selected: ReadonlySet<string>;
}

function emphasisOf(emphasis: Emphasis | null, id: string): EntityData["emphasis"] {
  return emphasis ? (emphasis.ids.has(id) ? "highlighted" : "dimmed") : "normal";
}

export function flowNodes(input: FlowInput): Node[] {
  const { shape, rootId, expanded, emphasis, catalogNames, place, selected } = input;
  const size = new Map(shape.boxes.map((box) => [box.id, presized(box.width, box.height)]));
  const entities: Node[] = shape.view.entities.map((entity) => ({
    id: entity.id,
    type: "entity",
    position: place(entity.id),
    ...size.get(entity.id),
    selected: selected.has(entity.id),
    data: {
      entity,
      label: shape.labels.get(entity.id) ?? entity.name,
      chip: chipOf(entity, catalogNames),
      isRoot: entity.id === rootId,
      expandedUp: expanded.has(expansionKey(entity.id, "up")) || expanded.has(entity.id),
      expandedDown: expanded.has(expansionKey(entity.id, "down")) || expanded.has(entity.id),
      fields: shape.fields.get(entity.id) ?? NO_FIELDS,
      tracedFields: emphasis?.fields?.get(entity.id) ?? NO_FIELDS,
      emphasis: emphasisOf(emphasis, entity.id),
    } satisfies EntityData,
  }));
  const groupLit = new Set([...(emphasis?.ids ?? [])].map((id) => shape.view.shownAs.get(id)));
  const members = new Map<string, string[]>();
  for (const [id, shownAs] of shape.view.shownAs) if (shownAs !== id) (members.get(shownAs) ?? members.set(shownAs, []).get(shownAs)!).push(id);
  const groups: Node[] = shape.view.groups.map((group) => ({
    id: group.id,
    type: "nodeGroup",
    position: place(group.id),
    ...size.get(group.id),
    data: { group, emphasis: emphasis ? (groupLit.has(group.id) ? "highlighted" : "dimmed") : "normal", members: members.get(group.id) ?? [] } satisfies GroupData,
  }));
  return [...entities, ...groups];
}

/** Transformation classes for an edge's column mappings: DIRECT draws solid, INDIRECT only
 * dashed; the first subtype (AGGREGATION, JOIN, FILTER...) colours it. */
export function transformationClasses(columns: ColumnMapping[] | null | undefined): string[] {
  const kinds = (columns ?? []).flatMap((column) => (column.transformation ?? "").split(",").map((item) => item.trim()).filter(Boolean));
  if (!kinds.length) return [];
  const types = new Set(kinds.map((kind) => kind.split("/")[0].toUpperCase()));
  const subtype = kinds.map((kind) => kind.split("/")[1]).find(Boolean);
  return [types.has("DIRECT") ? "tx-direct" : "tx-indirect", ...(subtype ? [`tx-${subtype.toLowerCase().replace(/[^a-z_]/g, "")}`] : [])];
}

/** Counts between groups, one label per pair: edges both ways between two boxes have their
 * middles at the same spot, so one says both counts ("→508 ←486") and the other none. */
function linkLabel(link: ViewLink, columns: boolean, counts: Map<string, number>): string | undefined {
  const back = counts.get(`${link.target}->${link.source}`);
  if (back && (link.count > 1 || back > 1)) return link.source < link.target ? `→${link.count} ←${back}` : undefined;
  if (link.count > 1) return String(link.count);
  if (link.edge?.via) return `via ${link.edge.via}`;
  return columns ? describeMappings(link.edge?.columns) : undefined;
}

export function flowEdges(links: ViewLink[], emphasis: Emphasis | null, columns: boolean): Edge[] {
  const counts = new Map(links.filter((link) => !link.edge).map((link) => [`${link.source}->${link.target}`, link.count]));
  return links.map((link) => {
    const lit = emphasis?.ids.has(link.source) && emphasis.ids.has(link.target);
    const classes = [
      ...(emphasis ? [lit ? "highlighted" : "dimmed"] : []),
      ...(link.edge?.via ? ["folded"] : []),
      ...(columns ? transformationClasses(link.edge?.columns) : []),
    ];
    return {
      id: link.id,
      source: link.source,
      target: link.target,
      markerEnd: EDGE_MARKER,
      className: classes.join(" ") || undefined,
      animated: Boolean(lit),
      label: linkLabel(link, columns, counts),
      labelBgPadding: [4, 2] as [number, number],
      labelBgBorderRadius: 4,
    };
  });
}

/** Lays out from the layout's positions, with pinned positions (a dashboard, a dragged node) winning. */
export function placer(pinned: Positions, positions: Positions) {
  return (id: string) => pinned[id] ?? positions[id] ?? { x: 0, y: 0 };
}
