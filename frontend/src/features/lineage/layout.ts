import type { ELK as ElkApi } from "elkjs/lib/elk-api";

export interface Box {
  id: string;
  width: number;
  height: number;
}
export interface Link {
  id: string;
  source: string;
  target: string;
}
export type Positions = Record<string, { x: number; y: number }>;

const LAYER_GAP = 80;
const NODE_GAP = 24;
/** Past this many nodes ELK takes seconds on this class of machine (3-8 s for 2,000 nodes
 * measured with elkjs 0.12), so big graphs get the linear-time layered layout below. */
export const ELK_LIMIT = 400;

// ELK is 1.4 MB of JavaScript: loaded on first use (inside the layout worker), so large
// graphs, which never use it, do not pay for parsing it.
let elk: Promise<ElkApi> | null = null;
function loadElk(): Promise<ElkApi> {
  elk ??= import("elkjs/lib/elk.bundled.js").then(({ default: ELK }) => {
    // Loaded inside a worker, ELK's bundle claims the worker's onmessage for its own
    // protocol; give the messages back to the layout worker's listener.
    if (typeof document === "undefined") self.onmessage = null;
    return new ELK();
  });
  return elk;
}

export function warmUpElk(): Promise<unknown> {
  return loadElk();
}

/** Left-to-right layered layout: data flows from sources on the left to consumers on the
 * right. Runs in the layout worker (layoutClient.ts), never on the page's thread. */
export async function computeLayout(boxes: Box[], links: Link[], quick = false): Promise<Positions> {
  const known = new Set(boxes.map((box) => box.id));
  const usable = links.filter((link) => known.has(link.source) && known.has(link.target));
  if (quick || boxes.length > ELK_LIMIT) return quickLayeredLayout(boxes, usable);
  const result = await (await loadElk()).layout({
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "RIGHT",
      "elk.layered.spacing.nodeNodeBetweenLayers": String(LAYER_GAP),
      "elk.spacing.nodeNode": String(NODE_GAP),
      // React Flow draws its own edges, so ELK's (costly) orthogonal routing would be wasted.
      "elk.edgeRouting": "POLYLINE",
      "elk.layered.considerModelOrder.strategy": "NODES_AND_EDGES",
    },
    children: boxes.map((box) => ({ id: box.id, width: box.width, height: box.height })),
    edges: usable.map((link) => ({ id: link.id, sources: [link.source], targets: [link.target] })),
  });
  const positions: Positions = {};
  for (const child of result.children ?? []) positions[child.id] = { x: child.x ?? 0, y: child.y ?? 0 };
  return positions;
}

/** Longest-path layering (Kahn's order; a cycle is broken at its first node in input
 * order), then two barycenter sweeps to reduce crossings. O(nodes + edges). */
export function quickLayeredLayout(boxes: Box[], links: Link[]): Positions {
  const predecessors = new Map<string, string[]>(boxes.map((box) => [box.id, []]));
  const successors = new Map<string, string[]>(boxes.map((box) => [box.id, []]));
  for (const link of links) {
    successors.get(link.source)?.push(link.target);
    predecessors.get(link.target)?.push(link.source);
  }
  const layer = new Map<string, number>();
  const waiting = new Map(boxes.map((box) => [box.id, predecessors.get(box.id)!.length]));
  const queue = boxes.filter((box) => waiting.get(box.id) === 0).map((box) => box.id);
  for (const id of queue) layer.set(id, 0);
  let head = 0;
  const drain = () => {
    for (; head < queue.length; head++) {
      const id = queue[head];
      for (const next of successors.get(id)!) {
        if (waiting.get(next)! <= 0) continue; // already placed: a back edge of a cycle
        layer.set(next, Math.max(layer.get(next) ?? 0, layer.get(id)! + 1));
        waiting.set(next, waiting.get(next)! - 1);
        if (waiting.get(next) === 0) queue.push(next);
      }
    }
  };
  drain();
  // A cycle leaves its nodes waiting: release one (after its placed predecessors) and go on.
  for (const box of boxes) {
    if (waiting.get(box.id)! <= 0) continue;
    waiting.set(box.id, 0);
    if (!layer.has(box.id)) layer.set(box.id, 0);
    queue.push(box.id);
    drain();
  }

  const layers: string[][] = [];
  for (const box of boxes) (layers[layer.get(box.id)!] ??= []).push(box.id);
  const order = new Map<string, number>();
  const renumber = (ids: string[]) => ids.forEach((id, index) => order.set(id, index));
  layers.forEach((ids) => ids && renumber(ids));
  const sweep = (ids: string[], neighbours: Map<string, string[]>) => {
    const centre = (id: string) => {
      const around = neighbours.get(id)!.filter((other) => order.has(other));
      return around.length ? around.reduce((sum, other) => sum + order.get(other)!, 0) / around.length : order.get(id)!;
    };
    const scored = ids.map((id) => [id, centre(id)] as const).sort((a, b) => a[1] - b[1]);
    ids.splice(0, ids.length, ...scored.map(([id]) => id));
    renumber(ids);
  };
  for (let pass = 0; pass < 2; pass++) {
    for (let index = 1; index < layers.length; index++) if (layers[index]) sweep(layers[index], predecessors);
    for (let index = layers.length - 2; index >= 0; index--) if (layers[index]) sweep(layers[index], successors);
  }

  const sizes = new Map(boxes.map((box) => [box.id, box]));
  const positions: Positions = {};
  let x = 0;
  for (const ids of layers) {
    if (!ids) continue;
    const width = Math.max(...ids.map((id) => sizes.get(id)!.width));
    const height = ids.reduce((sum, id) => sum + sizes.get(id)!.height + NODE_GAP, -NODE_GAP);
    let y = -height / 2;
    for (const id of ids) {
      positions[id] = { x, y };
      y += sizes.get(id)!.height + NODE_GAP;
    }
    x += width + LAYER_GAP;
  }
  return positions;
}
