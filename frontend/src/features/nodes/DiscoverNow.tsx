import { Link } from "react-router";
import type { components } from "../../api/schema";
import { Loading } from "../../components/feedback";
import { useDiscover } from "./api";
import { TestReportView } from "./TestReportView";

type DiscoveryResult = components["schemas"]["DiscoveryResult"];

function Summary({ result }: { result: DiscoveryResult }) {
  const summary = result.summary;
  if (!summary) return null;
  return (
    <dl className="props" data-testid="discovery-summary">
      <dt>Tables and views</dt>
      <dd>{summary.relations}: {summary.created} new, {summary.updated} changed, {summary.unchanged} unchanged, {summary.retired} gone</dd>
      <dt>View lineage</dt>
      <dd>{summary.edges_created} new edges, {summary.edges_updated} changed, {summary.edges_retired} retired</dd>
    </dl>
  );
}

/** "Discover now" and what it found; the lineage of the node is one click away. */
export function DiscoverNow({ nodeId, admin }: { nodeId: string; admin: boolean }) {
  const discover = useDiscover();
  return (
    <section className="stack" aria-label="Discovery">
      <div className="row">
        {admin && (
          <button className="btn" onClick={() => discover.mutate(nodeId)} disabled={discover.isPending}>
            {discover.isPending ? "Discovering…" : "Discover now"}
          </button>
        )}
        <Link className="btn" to={`/lineage?node=${nodeId}`}>
          Show its lineage
        </Link>
      </div>
      {discover.isPending && <Loading>Reading tables, views and view lineage…</Loading>}
      {discover.error && <div className="alert alert-error" role="alert">{discover.error.message}</div>}
      {discover.data && (
        <>
          <TestReportView report={discover.data} />
          <Summary result={discover.data} />
        </>
      )}
    </section>
  );
}
