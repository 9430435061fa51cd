import { useMemo, useState } from "react";
import { useDebounced } from "../../lib/useDebounced";
import { useSearchParams } from "react-router";
import type { NodeRead, NodeTypeRead } from "../../api/types";
import { AdminOnly } from "../../auth/AuthContext";
import { ErrorState, Loading, StatusBadge, formatRelative, formatTime } from "../../components/feedback";
import { PAGE_SIZE, useNode, useNodes, useNodeTypes, type NodeFilters } from "./api";
import { NodeModal } from "./NodeModal";
import { formatLatency } from "./TestReportView";
import "./nodes.css";

const SORTS = [
  { value: "name:asc", label: "Name" },
  { value: "status:asc", label: "Status" },
  { value: "last_checked_at:desc", label: "Last checked" },
  { value: "last_latency_ms:desc", label: "Slowest" },
  { value: "updated_at:desc", label: "Recently changed" },
];

function NodeCard({ node, typeLabel, onOpen }: { node: NodeRead; typeLabel: string; onOpen: () => void }) {
  return (
    <li>
      <button className="node-card card" onClick={onOpen} data-testid="node-card" aria-label={`${node.name}, ${typeLabel}, status ${node.status}`}>
        <div className="row">
          <span className="node-card-name truncate">{node.name}</span>
          <span className="spacer" />
          <StatusBadge status={node.status} title={node.status_message ?? undefined} />
        </div>
        <div className="subtle">{typeLabel}</div>
        {node.description && <p className="node-card-description">{node.description}</p>}
        {node.status === "error" && node.status_message && <p className="node-card-error truncate" title={node.status_message}>{node.status_message}</p>}
        <div className="row wrap node-card-tags">
          {node.tags.map((tag) => (
            <span className="tag" key={tag}>{tag}</span>
          ))}
        </div>
        <div className="node-card-footer subtle">
          <span title={formatTime(node.last_checked_at)}>Checked {formatRelative(node.last_checked_at)}</span>
          {node.last_latency_ms !== null && <span>{formatLatency(node.last_latency_ms)}</span>}
        </div>
      </button>
    </li>
  );
}

export default function NodesPage() {
  const [params, setParams] = useSearchParams();
  const [search, setSearch] = useState("");
  const [filters, setFilters] = useState<Omit<NodeFilters, "search">>({ type: "", status: "", tag: "", sort: "name:asc", page: 1 });
  const debouncedSearch = useDebounced(search, 250);
  const query = useMemo(() => ({ ...filters, search: debouncedSearch }), [filters, debouncedSearch]);
  const nodes = useNodes(query);
  const types = useNodeTypes();
  const openId = params.get("open");
  const opened = useNode(openId && openId !== "new" ? openId : null);
  const typeLabels = useMemo(() => new Map((types.data ?? []).map((type: NodeTypeRead) => [type.key, type.label])), [types.data]);
  const setFilter = (patch: Partial<typeof filters>) => setFilters((current) => ({ ...current, page: 1, ...patch }));
  const open = (id: string | null) =>
    setParams((current) => {
      const next = new URLSearchParams(current);
      if (id) next.set("open", id);
      else next.delete("open");
      return next;
    });

  const items = nodes.data?.items ?? [];
  const total = nodes.data?.total ?? 0;
  const pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
  const first = total ? (filters.page - 1) * PAGE_SIZE + 1 : 0;

  return (
    <div className="page">
      <div className="page-header">
        <div className="stack" style={{ gap: 2 }}>
          <h1>Nodes</h1>
          <p>The databases, services and platforms your data lives in, and whether DLV can reach them.</p>
        </div>
        <span className="spacer" />
        <AdminOnly>
          <button className="btn btn-primary" onClick={() => open("new")} disabled={!types.data}>
            Add node
          </button>
        </AdminOnly>
      </div>

      <div className="filters" role="search" aria-label="Filter nodes">
        <input className="input" type="search" aria-label="Search nodes" placeholder="Search by name or description…" value={search} onChange={(event) => { setSearch(event.target.value); setFilter({}); }} />
        <select className="select input" aria-label="Type" value={filters.type} onChange={(event) => setFilter({ type: event.target.value })}>
          <option value="">All types</option>
          {(types.data ?? []).map((type) => (
            <option key={type.key} value={type.key}>{type.label}</option>
          ))}
        </select>
        <select className="select input" aria-label="Status" value={filters.status} onChange={(event) => setFilter({ status: event.target.value })}>
          <option value="">Any status</option>
          <option value="ok">OK</option>
          <option value="error">Error</option>
          <option value="unknown">Unknown</option>
        </select>
        <input className="input" aria-label="Tag" placeholder="Tag" value={filters.tag} onChange={(event) => setFilter({ tag: event.target.value.trim() })} />
        <select className="select input" aria-label="Sort by" value={filters.sort} onChange={(event) => setFilter({ sort: event.target.value })}>
          {SORTS.map((sort) => (
            <option key={sort.value} value={sort.value}>Sort: {sort.label}</option>
          ))}
        </select>
      </div>

      {nodes.isPending && (
        <ul className="node-grid" aria-hidden="true">
          {Array.from({ length: 6 }, (_, index) => <li key={index} className="skeleton" style={{ height: 132 }} />)}
        </ul>
      )}
      {nodes.isError && <ErrorState error={nodes.error} onRetry={() => void nodes.refetch()} />}
      {nodes.data && items.length === 0 && (
        <div className="empty">
          {search || filters.type || filters.status || filters.tag ? "No node matches these filters." : "No nodes yet. Register the first database or service your data lives in."}
        </div>
      )}
      {nodes.data && items.length > 0 && (
        <>
          <ul className="node-grid" aria-label="Nodes" aria-busy={nodes.isFetching}>
            {items.map((node) => (
              <NodeCard key={node.id} node={node} typeLabel={typeLabels.get(node.type) ?? node.type} onOpen={() => open(node.id)} />
            ))}
          </ul>
          <nav className="pagination row" aria-label="Pages">
            <span className="subtle">{first}–{first + items.length - 1} of {total}</span>
            <span className="spacer" />
            <button className="btn btn-sm" disabled={filters.page <= 1} onClick={() => setFilters((current) => ({ ...current, page: current.page - 1 }))}>Previous</button>
            <span className="subtle">Page {filters.page} of {pages}</span>
            <button className="btn btn-sm" disabled={filters.page >= pages} onClick={() => setFilters((current) => ({ ...current, page: current.page + 1 }))}>Next</button>
          </nav>
        </>
      )}

      {openId && types.data && (openId === "new" || opened.data) && (
        <NodeModal key={openId} node={openId === "new" ? undefined : opened.data} types={types.data} onClose={() => open(null)} />
      )}
      {openId && openId !== "new" && opened.isPending && <Loading />}
    </div>
  );
}
