import type { QueryClient } from "@tanstack/react-query";
import { canvasQueries } from "./api";
import { canvasShape } from "./canvasModel";
import { mergeGraphs, withoutHidden } from "./graphModel";
import { effectiveGroupBy } from "./grouping";
import { layoutGraph, warmUpElk } from "./layoutClient";
import { readState } from "./state";

/** Opening a link to the explorer: lays out its first canvas as soon as the graph arrives,
 * while React is still mounting the page, instead of after. The canvas then finds the same
 * layout (by shape key) and does not lay out a second time. */
export async function layOutEarly(client: QueryClient, search: string): Promise<void> {
  const state = readState(new URLSearchParams(search));
  const queries = canvasQueries(state);
  // A dashboard re-applies its own settings first; nothing to lay out yet without a start.
  if (!queries.length || state.dashboardId) return warmUpElk();
  try {
    const parts = await Promise.all(queries.map((query) => client.fetchQuery(query)));
    const visible = withoutHidden(mergeGraphs(parts), state.hidden)!;
    const groupBy = effectiveGroupBy(state.groupBy, visible.nodes.length);
    const shape = canvasShape(visible, { groupBy, openGroups: new Set(state.openGroups), catalogNames: new Map(), columns: state.columns });
    await layoutGraph(shape);
  } catch {
    // The page shows the error when it asks for the same graph.
  }
}
