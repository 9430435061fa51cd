import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import {
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  useEdgesState,
  useNodesState,
  useReactFlow,
  useStore,
  type Edge,
  type Node,
  type OnSelectionChangeParams,
  type Viewport,
} from "@xyflow/react";
import "@xyflow/react/dist/style.css";
import type { GraphNode } from "../../api/types";
import { canvasShape, flowEdges, flowNodes, placer, type CanvasShape, type Emphasis } from "./canvasModel";
import type { MergedGraph } from "./graphModel";
import type { GroupBy } from "./grouping";
import { placeInPlace, type Placed } from "./inPlace";
import type { Box, Positions } from "./layout";
import { layoutGraph, warmUpElk } from "./layoutClient";
import { NODE_WIDTH, nodeTypes, type EntityData } from "./nodes";

const LARGE_GRAPH = 400;
/** Fitting a small graph never zooms out past where full node text stays legible. */
const READABLE_ZOOM = 0.75;

/** Semantic zoom: at each level only text that stays legible (9 px or more on screen) is
 * drawn; further out nodes are coloured blocks and group labels take over (lineage.css). */
export function zoomLevel(zoom: number): "near" | "mid" | "far" | "tiny" {
  if (zoom >= READABLE_ZOOM) return "near";
  if (zoom >= 0.3) return "mid";
  if (zoom >= 0.12) return "far";
  return "tiny";
}

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
  groupBy: GroupBy;
  openGroups: string[];
  catalogNames: Map<string, string>;
  /** Impact, paths or a traced column: these ids stand out, everything else is dimmed. */
  emphasis: Emphasis | null;
  /** Positions that win over the automatic layout (a loaded dashboard, nodes the user moved). */
  pinned: Positions;
  /** A saved viewport to restore once instead of fitting the view. */
  viewport: Viewport | null;
  onSelect: (entity: GraphNode | null) => void;
  onMoved: (id: string, position: { x: number; y: number }) => void;
  onRendered?: (info: { nodes: number; layoutMs: number }) => void;
}

function boundsOf(boxes: Box[], place: (id: string) => { x: number; y: number }) {
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const box of boxes) {
    const at = place(box.id);
    minX = Math.min(minX, at.x);
    minY = Math.min(minY, at.y);
    maxX = Math.max(maxX, at.x + box.width);
    maxY = Math.max(maxY, at.y + box.height);
  }
  return Number.isFinite(minX) ? { x: minX, y: minY, width: maxX - minX, height: maxY - minY } : { x: 0, y: 0, width: 1, height: 1 };
}

/** True once the browser is idle after `ready`: the minimap draws a box per node (2,000
 * SVG elements at 2,000 nodes), which must not delay the canvas itself. */
function useIdleFlag(ready: boolean): boolean {
  const [idle, setIdle] = useState(false);
  useEffect(() => {
    if (!ready || idle) return;
    if (!("requestIdleCallback" in window)) {
      const timer = setTimeout(() => setIdle(true), 300);
      return () => clearTimeout(timer);
    }
    const handle = requestIdleCallback(() => setIdle(true), { timeout: 1000 });
    return () => cancelIdleCallback(handle);
  }, [ready, idle]);
  return idle;
}

interface LaidOut extends Placed {
  key: string;
  ms: number;
  /** Groups opened or closed in place: nothing else moved, so the view is not fitted again. */
  inPlace: boolean;
}

/** Lays the shape out in the worker whenever the set of boxes or links changes, except when
 * only groups opened or closed: then the rest stays where it was (placeInPlace). */
function useLayout(shape: CanvasShape) {
  const [layout, setLayout] = useState<LaidOut | null>(null);
  const last = useRef<LaidOut | null>(null);
  const memory = useRef<Positions>({});
  useEffect(() => {
    let cancelled = false;
    const done = (positions: Positions, ms: number, inPlace: boolean) => {
      if (cancelled) return;
      last.current = { key: shape.key, shape, positions, ms, inPlace };
      setLayout(last.current);
    };
    const kept = last.current && placeInPlace(last.current, shape, memory.current);
    if (kept) {
      done(kept, 0, true);
      return;
    }
    memory.current = {};
    const started = performance.now();
    void layoutGraph(shape).then((positions) => done(positions, performance.now() - started, false));
    return () => {
      cancelled = true;
    };
  }, [shape.key]); // eslint-disable-line react-hooks/exhaustive-deps -- the key names the shape
  return layout && layout.key === shape.key ? layout : null;
}

export function LineageCanvas(props: CanvasProps) {
  const { graph, rootId, expanded, columns, groupBy, openGroups, catalogNames, emphasis, pinned, viewport, onSelect, onMoved, onRendered } = props;
  const flow = useReactFlow();
  const level = useStore((store) => zoomLevel(store.transform[2]));
  const [nodes, setNodes, onNodesChange] = useNodesState<Node>([]);
  const [edges, setEdges, onEdgesChange] = useEdgesState<Edge>([]);
  const shape = useMemo(
    () => canvasShape(graph, { groupBy, openGroups: new Set(openGroups), catalogNames, columns }),
    [graph, groupBy, openGroups, catalogNames, columns],
  );
  const layout = useLayout(shape);
  const mapShown = useIdleFlag(layout !== null);
  // Once the canvas is up and the browser idle, ELK loads for the small graphs to come.
  useEffect(() => void (mapShown && warmUpElk()), [mapShown]);
  const fittedKey = useRef<string | null>(null);
  const restoredViewport = useRef<Viewport | null>(null);

  useEffect(() => {
    if (!layout) return;
    const place = placer(pinned, layout.positions);
    const expandedSet = new Set(expanded);
    setNodes((current) => {
      const selected = new Set(current.filter((node) => node.selected).map((node) => node.id));
      return flowNodes({ shape, rootId, expanded: expandedSet, emphasis, catalogNames, place, selected });
    });
    setEdges(flowEdges(shape.view.links, emphasis, columns));
  }, [layout, shape, expanded, columns, rootId, emphasis, catalogNames, pinned, setNodes, setEdges]);

  // Fit (or restore the saved viewport) once per new layout. The bounds come from the layout
  // itself: React Flow's fitView only counts measured nodes, and with
  // onlyRenderVisibleElements off-screen nodes are never measured.
  useEffect(() => {
    if (!layout || fittedKey.current === layout.key || nodes.length === 0) return;
    const place = placer(pinned, layout.positions);
    const frame = requestAnimationFrame(() => {
      // Marked here, not before: a re-render that cancels this frame must schedule it again.
      fittedKey.current = layout.key;
      if (layout.inPlace) return;
      if (viewport && restoredViewport.current !== viewport) {
        restoredViewport.current = viewport;
        void flow.setViewport(viewport);
      } else if (shape.view.entities.length > LARGE_GRAPH && layout.positions[rootId]) {
        // Fitting thousands of nodes would draw them as unreadable specks; start at the
        // root at a readable zoom (the minimap shows the whole graph).
        const root = place(rootId);
        void flow.setCenter(root.x + NODE_WIDTH / 2, root.y, { zoom: READABLE_ZOOM + 0.05 });
      } else {
        void flow.fitBounds(boundsOf(shape.boxes, place), { padding: 0.12 });
        if (flow.getZoom() > 1.2) void flow.zoomTo(1.2);
      }
      onRendered?.({ nodes: nodes.length, layoutMs: layout.ms });
    });
    return () => cancelAnimationFrame(frame);
  }, [layout, nodes.length, viewport, flow, onRendered]); // eslint-disable-line react-hooks/exhaustive-deps -- once per layout

  // A new emphasis (impact, paths, a traced column) brings what it lights into view.
  const shownEmphasis = useRef<Emphasis | null>(null);
  useEffect(() => {
    if (!layout || !emphasis || shownEmphasis.current === emphasis || fittedKey.current !== layout.key) return;
    shownEmphasis.current = emphasis;
    const place = placer(pinned, layout.positions);
    const lit = shape.boxes.filter((box) => emphasis.ids.has(box.id) || emphasis.ids.has(shape.view.shownAs.get(box.id) ?? ""));
    if (lit.length) void flow.fitBounds(boundsOf(lit, place), { padding: 0.15, duration: 300 });
  }, [emphasis, layout, nodes.length]); // eslint-disable-line react-hooks/exhaustive-deps -- once per emphasis

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
      className={`zoom-${level}`}
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
      {mapShown && <MiniMap pannable zoomable ariaLabel="Lineage overview" nodeColor={minimapColor} nodeStrokeWidth={0} />}
      <Controls showInteractive={false} />
    </ReactFlow>
  );
}
