/// <reference lib="webworker" />
import { computeLayout, warmUpElk, type Box, type Link, type Positions } from "./layout";

export interface LayoutRequest {
  id: number;
  boxes: Box[];
  links: Link[];
  /** The linear-time layered layout, without ELK (closed groups: a few summary boxes). */
  quick?: boolean;
  /** Load ELK now, so the first real layout does not wait for it. */
  warmUp?: boolean;
}
export interface LayoutResponse {
  id: number;
  positions?: Positions;
  error?: string;
}

// A listener, not onmessage: the ELK bundle assigns onmessage when it loads.
self.addEventListener("message", async (event: MessageEvent<LayoutRequest>) => {
  const { id, boxes, links, quick, warmUp } = event.data;
  if (warmUp) return void warmUpElk();
  try {
    self.postMessage({ id, positions: await computeLayout(boxes, links, quick) } satisfies LayoutResponse);
  } catch (failure) {
    self.postMessage({ id, error: (failure as Error).message } satisfies LayoutResponse);
  }
});
