import type { UseQueryResult } from "@tanstack/react-query";
import type { Graph, GraphNode } from "../../api/types";
import { formatTime } from "../../components/feedback";
import type { MergedGraph } from "./graphModel";
import { groupTitles, type GroupBy } from "./grouping";
import type { ExplorerState } from "./state";

interface BannerProps {
  state: ExplorerState;
  update: (patch: Partial<ExplorerState>) => void;
  graph: MergedGraph;
  groupBy: GroupBy;
  catalogNames: Map<string, string>;
  pathEnds: { from: GraphNode | null; to: GraphNode | null };
  paths: UseQueryResult<{ nodes: GraphNode[]; complete: boolean }>;
  onClearPaths: () => void;
  trace: { id: string; field: string } | null;
  traced: UseQueryResult<Graph>;
  onClearTrace: () => void;
}

function Banner({ children, testId, tone = "info" }: { children: React.ReactNode; testId: string; tone?: "info" | "warn" }) {
  return (
    <div className={`canvas-note ${tone}`} role="status" data-testid={testId}>
      {children}
    </div>
  );
}

function PathsNote({ pathEnds, paths, onClear }: Pick<BannerProps, "pathEnds" | "paths"> & { onClear: () => void }) {
  if (!pathEnds.from) return null;
  const answer = paths.data;
  return (
    <Banner testId="paths-note">
      {!pathEnds.to && <>Paths from <strong>{pathEnds.from.name}</strong>: select another node and choose “Paths to here”.</>}
      {pathEnds.to && paths.isPending && <>Finding paths…</>}
      {pathEnds.to && paths.error && <>Paths could not be found: {paths.error.message}</>}
      {pathEnds.to && answer && (
        <>
          {answer.nodes.length ? `${answer.nodes.length} nodes lie on paths` : "No path"} from <strong>{pathEnds.from.name}</strong> to <strong>{pathEnds.to.name}</strong>
          {!answer.complete && " (longer paths may exist past the depth limit)"}
        </>
      )}
      <button className="btn btn-sm btn-ghost" onClick={onClear}>Clear</button>
    </Banner>
  );
}

/** The groups opened in place, each with a way to close it again (back where it was). */
function OpenGroups({ state, update, graph, groupBy, catalogNames }: BannerProps) {
  const titles = groupTitles(graph, groupBy, catalogNames);
  const open = state.openGroups.filter((id) => titles.has(id));
  if (!open.length) return null;
  return (
    <Banner testId="open-groups">
      Opened:
      {open.map((id) => (
        <button key={id} className="btn btn-sm" aria-label={`Collapse group ${titles.get(id)}`} title={`Close ${titles.get(id)} back into one box`} onClick={() => update({ openGroups: state.openGroups.filter((item) => item !== id) })}>
          {titles.get(id)} ✕
        </button>
      ))}
    </Banner>
  );
}

/** Notes over the canvas: what it starts from, how it is grouped, which paths or column are
 * lit, and the moment shown when it is not now. */
export function CanvasBanners(props: BannerProps) {
  const { state, update, graph, groupBy, catalogNames, trace, traced, onClearTrace } = props;
  const catalogRoot = state.rootId && !graph.nodes.some((node) => node.id === state.rootId) ? catalogNames.get(state.rootId) : undefined;
  const held = catalogRoot ? graph.nodes.filter((node) => node.node_id === state.rootId && node.depth === 0).length : 0;
  return (
    <div className="canvas-notes">
      {catalogRoot && (
        <Banner testId="catalog-root">
          Lineage of catalog node <strong>{catalogRoot}</strong>: the {held} assets it holds and what they feed and read.
          <button className="btn btn-sm" onClick={() => update({ impactId: state.rootId })}>What breaks if it fails?</button>
        </Banner>
      )}
      {state.groupBy === null && groupBy !== "none" && (
        <Banner testId="grouped-note" tone="warn">
          {graph.nodes.length} nodes are grouped by namespace to stay readable; click a group to open it in place.
          <button className="btn btn-sm" onClick={() => update({ groupBy: "none" })}>Show all {graph.nodes.length} nodes</button>
        </Banner>
      )}
      {groupBy !== "none" && state.openGroups.length > 0 && <OpenGroups {...props} />}
      <PathsNote pathEnds={props.pathEnds} paths={props.paths} onClear={props.onClearPaths} />
      {trace && (
        <Banner testId="trace-note">
          {traced.isPending ? "Following" : traced.error ? `Could not follow ${trace.field}: ${traced.error.message}` : "Following"} column <strong>{trace.field}</strong>
          {traced.data && ` through ${traced.data.nodes.length} nodes`}
          <button className="btn btn-sm btn-ghost" onClick={onClearTrace}>Clear</button>
        </Banner>
      )}
      {state.runId && (
        <Banner testId="run-note" tone="warn">
          What run <span className="mono">{state.runId.slice(0, 8)}</span> touched: its process, what it read and wrote.
          <button className="btn btn-sm btn-ghost" onClick={() => update({ runId: null })}>Back to the live graph</button>
        </Banner>
      )}
      {state.asOf && !state.runId && (
        <Banner testId="as-of-note" tone="warn">
          The graph as it was on {formatTime(state.asOf)}.
          <button className="btn btn-sm btn-ghost" onClick={() => update({ asOf: null })}>Back to now</button>
        </Banner>
      )}
    </div>
  );
}
