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

/** Starts the worker (and its ELK) ahead of the first layout, while the graph is fetched. */
export function warmUpLayout(): void {
  layoutWorker().postMessage({ id: -1, boxes: [], links: [], warmUp: true } satisfies LayoutRequest);
}

export function layoutGraph(boxes: Box[], links: Link[]): Promise<Positions> {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    waiting.set(id, { resolve, reject });
    layoutWorker().postMessage({ id, boxes, links } satisfies LayoutRequest);
  });
}
