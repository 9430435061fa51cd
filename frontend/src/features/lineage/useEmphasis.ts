import { useMemo } from "react";
import type { Graph, Impact } from "../../api/types";
import type { Emphasis } from "./canvasModel";

/** What stands out on the canvas, most specific first: a traced column, the paths between
 * two nodes, then an impact analysis (the start and everything downstream of it). */
export function useEmphasis(
  trace: Graph | undefined,
  paths: { nodes: Graph["nodes"] } | undefined,
  impact: Impact | undefined,
  canvas: Graph["nodes"] | undefined,
): Emphasis | null {
  return useMemo(() => {
    if (trace) {
      const fields = new Map(trace.nodes.map((node) => [node.id, node.fields ?? []]));
      return { ids: new Set(trace.nodes.map((node) => node.id)), fields };
    }
    if (paths) return { ids: new Set(paths.nodes.map((node) => node.id)) };
    if (impact) {
      // A catalog node's impact starts from the assets it holds: they are lit too.
      const held = impact.root.type === "node" ? (canvas ?? []).filter((node) => node.node_id === impact.root.id).map((node) => node.id) : [];
      return { ids: new Set([impact.root.id, ...held, ...impact.impacted.map((item) => item.id)]) };
    }
    return null;
  }, [trace, paths, impact, canvas]);
}
