import type { Box, Link, Positions } from "./layout";
import type { LayoutRequest, LayoutResponse } from "./layout.worker";

/** Layout runs in one Web Worker: ELK on a few hundred nodes takes long enough to freeze
 * panning and typing if it ran on the page's thread. */
let worker: Worker | null = null;
let nextId = 0;
const waiting = new Map<number, { resolve: (positions: Positions) => void; reject: (error: Error) => void }>();

function layoutWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL("./layout.worker.ts", import.meta.url), { type: "module" });
  worker.onmessage = (event: MessageEvent<LayoutResponse>) => {
    const pending = waiting.get(event.data.id);
    waiting.delete(event.data.id);
    if (event.data.positions) pending?.resolve(event.data.positions);
    else pending?.reject(new Error(`Layout failed: ${event.data.error}`));
  };
  return worker;
}

/** Starts the worker (3 kB) while the session and the graph are fetched. ELK (1.4 MB) is not
 * loaded then: on two busy cores parsing it slows the page's own start, and large graphs and
 * grouped views never use it. */
export function startLayoutWorker(): void {
  layoutWorker();
}

/** Loads ELK in the worker ahead of a first small-graph layout (when the browser is idle). */
export function warmUpElk(): void {
  layoutWorker().postMessage({ id: -1, boxes: [], links: [], warmUp: true } satisfies LayoutRequest);
}

export interface LayoutInput {
  key: string;
  boxes: Box[];
  links: Link[];
  quick: boolean;
}

// The last few layouts asked for, by shape key: the explorer's start asks for its first
// layout as soon as the graph arrives (earlyLayout.ts), and the canvas picks the same answer
// up when it mounts instead of laying out a second time.
const recent = new Map<string, Promise<Positions>>();
const RECENT = 4;

export function layoutGraph(input: LayoutInput): Promise<Positions> {
  const known = recent.get(input.key);
  if (known) return known;
  const id = nextId++;
  const positions = new Promise<Positions>((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    layoutWorker().postMessage({ id, boxes: input.boxes, links: input.links, quick: input.quick } satisfies LayoutRequest);
  });
  recent.set(input.key, positions);
  if (recent.size > RECENT) recent.delete(recent.keys().next().value!);
  positions.catch(() => recent.delete(input.key));
  return positions;
}
