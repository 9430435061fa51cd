import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  Background,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  useEdgesState,
  useNodesState,
  useReactFlow,
  type Edge,
  type Node,
  type OnSelectionChangeParams,
  type Viewport,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import type { GraphNode } from "../../api/types";
import { describeMappings, groupByNamespace, lineageFields, type MergedGraph } from "./graphModel";
import { layoutGraph, type Box, type Link, type Positions } from "./layout";
import { NODE_WIDTH, entityHeight, nodeTypes, presized, type EntityData, type GroupData } from "./nodes";

export const GROUP_THRESHOLD = 300;
const LARGE_GRAPH = 400;
const GROUP_HEIGHT = 64;
const EDGE_MARKER = { type: MarkerType.ArrowClosed, width: 16, height: 16 };

function minimapColor(node: Node): string {
  if (node.type !== "entity") return "var(--color-text-subtle)";
  const { entity, emphasis } = node.data as EntityData;
  if (emphasis === "highlighted") return "var(--color-highlight)";
  return entity.type === "process" ? "var(--color-process)" : "var(--color-asset)";
}

export interface CanvasProps {
  graph: MergedGraph;
  rootId: string;
  expanded: string[];
  columns: boolean;
  grouped: boolean;
  /** Impact mode: these ids stand out, everything else is dimmed. */
  highlighted: Set<string> | null;
  /** Positions that win over the automatic layout (a loaded dashboard, nodes the user moved). */
  pinned: Positions;
  /** A saved viewport to restore once instead of fitting the view. */
  viewport: Viewport | null;
  onSelect: (entity: GraphNode | null) => void;
  onMoved: (id: string, position: { x: number; y: number }) => void;
  onRendered?: (info: { nodes: number; layoutMs: number }) => void;
}

interface Shape {
  key: string;
  boxes: Box[];
  links: Link[];
}

const NO_FIELDS: string[] = [];

/** Column view: the asset's own field list when the graph has it, else the columns its
 * column-level lineage mentions. */
function fieldsByNode(graph: MergedGraph, columns: boolean): Map<string, string[]> {
  if (!columns) return new Map();
  const fromLineage = lineageFields(graph.edges);
  return new Map(graph.nodes.map((node) => [node.id, node.fields?.length ? node.fields : (fromLineage.get(node.id) ?? NO_FIELDS)]));
}

function shapeOf(graph: MergedGraph, fields: Map<string, string[]>, grouped: boolean): Shape {
  if (grouped) {
    const { groups, links } = groupByNamespace(graph);
    return {
      key: `g|${groups.map((group) => group.id).join(",")}|${links.length}`,
      boxes: groups.map((group) => ({ id: group.id, width: NODE_WIDTH + 40, height: GROUP_HEIGHT })),
      links,
    };
  }
  const boxes = graph.nodes.map((node) => ({ id: node.id, width: NODE_WIDTH, height: entityHeight(fields.get(node.id) ?? NO_FIELDS) }));
  const links = graph.edges.map((edge) => ({ id: edge.id, source: edge.source_id, target: edge.target_id }));
  const key = `${boxes.map((box) => box.height).join(",")}|${boxes.map((box) => box.id).sort().join(",")}|${links.map((link) => link.id).sort().join(",")}`;
  return { key, boxes, links };
}

function boundsOf(boxes: Box[], place: (id: string) => { x: number; y: number } | undefined) {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const box of boxes) {
    const at = place(box.id);
    if (!at) continue;
    minX = Math.min(minX, at.x);
    minY = Math.min(minY, at.y);
    maxX = Math.max(maxX, at.x + box.width);
    maxY = Math.max(maxY, at.y + box.height);
  }
  return Number.isFinite(minX) ? { x: minX, y: minY, width: maxX - minX, height: maxY - minY } : { x: 0, y: 0, width: 1, height: 1 };
}

export function LineageCanvas(props: CanvasProps) {
  const { graph, rootId, expanded, columns, grouped, highlighted, pinned, viewport, onSelect, onMoved, onRendered } = props;
  const flow = useReactFlow();
  const [nodes, setNodes, onNodesChange] = useNodesState<Node>([]);
  const [edges, setEdges, onEdgesChange] = useEdgesState<Edge>([]);
  const [layout, setLayout] = useState<{ key: string; positions: Positions; ms: number } | null>(null);
  const fields = useMemo(() => fieldsByNode(graph, columns), [graph, columns]);
  const shape = useMemo(() => shapeOf(graph, fields, grouped), [graph, fields, grouped]);
  const fittedKey = useRef<string | null>(null);
  const restoredViewport = useRef<Viewport | null>(null);

  // Layout only when the set of nodes/edges changes, not on highlight or selection.
  useEffect(() => {
    let cancelled = false;
    const started = performance.now();
    void layoutGraph(shape.boxes, shape.links).then((positions) => {
      if (!cancelled) setLayout({ key: shape.key, positions, ms: performance.now() - started });
    });
    return () => {
      cancelled = true;
    };
  }, [shape.key]);

  useEffect(() => {
    if (!layout || layout.key !== shape.key) return;
    const place = (id: string) => pinned[id] ?? layout.positions[id] ?? { x: 0, y: 0 };
    const sizes = new Map(shape.boxes.map((box) => [box.id, presized(box.width, box.height)]));
    if (grouped) {
      const { groups, links } = groupByNamespace(graph);
      setNodes(groups.map((group) => ({ id: group.id, type: "namespace", position: place(group.id), ...sizes.get(group.id), data: { group } satisfies GroupData })));
      setEdges(
        links.map((link) => ({
          id: link.id,
          source: link.source,
          target: link.target,
          label: link.count > 1 ? String(link.count) : undefined,
          markerEnd: EDGE_MARKER,
        })),
      );
    } else {
      const expandedSet = new Set(expanded);
      setNodes((current) => {
        const selected = new Set(current.filter((node) => node.selected).map((node) => node.id));
        return graph.nodes.map((entity) => ({
          id: entity.id,
          type: "entity",
          position: place(entity.id),
          ...sizes.get(entity.id),
          selected: selected.has(entity.id),
          data: {
            entity,
            isRoot: entity.id === rootId,
            expanded: expandedSet.has(entity.id),
            fields: fields.get(entity.id) ?? NO_FIELDS,
            emphasis: highlighted ? (highlighted.has(entity.id) ? "highlighted" : "dimmed") : "normal",
          } satisfies EntityData,
        }));
      });
      setEdges(
        graph.edges.map((edge) => {
          const lit = highlighted?.has(edge.source_id) && highlighted.has(edge.target_id);
          return {
            id: edge.id,
            source: edge.source_id,
            target: edge.target_id,
            markerEnd: EDGE_MARKER,
            className: highlighted ? (lit ? "highlighted" : "dimmed") : undefined,
            animated: Boolean(lit),
            label: columns ? describeMappings(edge.columns) : undefined,
            labelBgPadding: [4, 2] as [number, number],
            labelBgBorderRadius: 4,
          };
        }),
      );
    }
  }, [layout, shape.key, graph, fields, grouped, expanded, columns, rootId, highlighted, pinned, setNodes, setEdges]);

  // Fit (or restore the saved viewport) once per new layout. The bounds come from the layout
  // itself: React Flow's fitView only counts measured nodes, and with
  // onlyRenderVisibleElements off-screen nodes are never measured.
  useEffect(() => {
    if (!layout || layout.key !== shape.key || fittedKey.current === layout.key || nodes.length === 0) return;
    const bounds = boundsOf(shape.boxes, (id) => pinned[id] ?? layout.positions[id]);
    const frame = requestAnimationFrame(() => {
      // Marked here, not before: a re-render that cancels this frame must schedule it again.
      fittedKey.current = layout.key;
      if (viewport && restoredViewport.current !== viewport) {
        restoredViewport.current = viewport;
        void flow.setViewport(viewport);
      } else {
        const root = !grouped && shape.boxes.length > LARGE_GRAPH ? (pinned[rootId] ?? layout.positions[rootId]) : undefined;
        if (root) {
          // Fitting thousands of nodes would render all of them too small to read; start
          // at the root at a readable zoom (the minimap shows the whole graph).
          void flow.setCenter(root.x + NODE_WIDTH / 2, root.y, { zoom: 0.8 });
        } else {
          void flow.fitBounds(bounds, { padding: 0.12 });
          if (flow.getZoom() > 1.2) void flow.zoomTo(1.2);
        }
      }
      onRendered?.({ nodes: nodes.length, layoutMs: layout.ms });
    });
    return () => cancelAnimationFrame(frame);
  }, [layout, shape.key, nodes.length, viewport, flow, onRendered]);

  // Selection (by click, or Tab + Enter on a focused node) opens the details drawer.
  const onSelectionChange = useCallback(
    ({ nodes: chosen }: OnSelectionChangeParams) => {
      const entity = chosen.length === 1 && chosen[0].type === "entity" ? (chosen[0].data as EntityData).entity : null;
      onSelect(entity);
    },
    [onSelect],
  );

  return (
    <ReactFlow
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      onNodesChange={onNodesChange}
      onEdgesChange={onEdgesChange}
      onSelectionChange={onSelectionChange}
      onNodeDragStop={(_, node) => onMoved(node.id, node.position)}
      onlyRenderVisibleElements
      snapToGrid
      snapGrid={[8, 8]}
      minZoom={0.05}
      maxZoom={2}
      nodesConnectable={false}
      defaultEdgeOptions={{ type: "default" }}
      aria-label="Lineage graph"
    >
      <Background gap={16} size={1} />
      <MiniMap pannable zoomable ariaLabel="Lineage overview" nodeColor={minimapColor} nodeStrokeWidth={0} />
      <Controls showInteractive={false} />
    </ReactFlow>
  );
}
