import { useState } from "react";
import type { AuditEntryRead } from "../../api/types";
import { ErrorState, Loading, formatRelative, formatTime } from "../../components/feedback";
import { Pager } from "../../components/Pager";
import { PAGE_SIZE, useAuditEntries, useEntityNames, type AuditFilters } from "./api";
import { idsIn, withNames } from "./names";
import "./audit.css";

// The choices GET /api/audit accepts (it answers 400 naming them for anything else).
const ENTITY_TYPES = ["user", "api_token", "node", "data_asset", "process", "lineage_edge", "dashboard"];
const ACTIONS = ["create", "update", "delete", "retire", "revoke", "test", "discover"];
const NO_FILTERS: AuditFilters = { actor: "", entityType: "", action: "" };

function shown(value: unknown): string {
  if (value === null || value === undefined) return "∅";
  return typeof value === "string" ? value : JSON.stringify(value);
}

interface FieldChange {
  old: unknown;
  new: unknown;
}

function isFieldChange(change: unknown): change is FieldChange {
  return typeof change === "object" && change !== null && "old" in change && "new" in change;
}

/** One line per changed field: "field: old → new", or "password: changed" for a secret. */
function Changes({ diff }: { diff: AuditEntryRead["diff"] }) {
  const fields = Object.entries(diff);
  if (fields.length === 0) return null;
  return (
    <ul className="audit-diff">
      {fields.map(([field, change]) => (
        <li key={field}>
          <span className="audit-field">{field}:</span>
          {isFieldChange(change) ? (
            <span className="truncate" title={`${shown(change.old)} → ${shown(change.new)}`}>
              {shown(change.old)} → {shown(change.new)}
            </span>
          ) : (
            <em>{shown(change)}</em>
          )}
        </li>
      ))}
    </ul>
  );
}

export default function AuditPage() {
  const [filters, setFilters] = useState<AuditFilters>(NO_FILTERS);
  const [page, setPage] = useState(1);
  const entries = useAuditEntries(filters, page);
  const items = entries.data?.items ?? [];
  const names = useEntityNames(idsIn(items.map((entry) => entry.entity_name)));
  const total = entries.data?.total ?? 0;
  const change = (patch: Partial<AuditFilters>) => {
    setFilters((current) => ({ ...current, ...patch }));
    setPage(1);
  };

  return (
    <div className="page">
      <div className="page-header">
        <div className="stack" style={{ gap: 2 }}>
          <h1>Audit log</h1>
          <p>Every change made through DLV: who made it, when, and which fields changed. Secrets only show that they changed.</p>
        </div>
      </div>
      <div className="row" style={{ flexWrap: "wrap" }}>
        <input className="input" style={{ maxWidth: 240 }} type="search" aria-label="Actor" placeholder="Actor (name or id)" value={filters.actor} onChange={(event) => change({ actor: event.target.value })} />
        <select className="select" style={{ maxWidth: 180 }} aria-label="Entity type" value={filters.entityType} onChange={(event) => change({ entityType: event.target.value })}>
          <option value="">All entities</option>
          {ENTITY_TYPES.map((type) => <option key={type} value={type}>{type}</option>)}
        </select>
        <select className="select" style={{ maxWidth: 160 }} aria-label="Action" value={filters.action} onChange={(event) => change({ action: event.target.value })}>
          <option value="">All actions</option>
          {ACTIONS.map((action) => <option key={action} value={action}>{action}</option>)}
        </select>
      </div>
      {entries.isPending && <Loading />}
      {entries.isError && <ErrorState error={entries.error} onRetry={() => void entries.refetch()} />}
      {entries.data && items.length === 0 && <div className="empty">No change recorded{filters === NO_FILTERS ? " yet" : " matches these filters"}.</div>}
      {items.length > 0 && (
        <div className="card">
          <table className="table" aria-label="Audit log">
            <thead>
              <tr><th>When</th><th>Who</th><th>Action</th><th>Entity</th><th>Changes</th></tr>
            </thead>
            <tbody>
              {items.map((entry) => (
                <tr key={entry.id} data-testid="audit-row">
                  <td title={formatTime(entry.occurred_at)} style={{ whiteSpace: "nowrap" }}>{formatRelative(entry.occurred_at)}</td>
                  <td>
                    {entry.actor_name} <span className="badge plain">{entry.actor_kind}</span>
                  </td>
                  <td><span className="badge badge-accent">{entry.action}</span></td>
                  <td>
                    <div className="subtle">{entry.entity_type}</div>
                    <div className="truncate" style={{ maxWidth: 320 }} title={entry.entity_name ?? entry.entity_id ?? ""}>{withNames(entry.entity_name ?? entry.entity_id ?? "", names)}</div>
                  </td>
                  <td>
                    <Changes diff={entry.diff} />
                    {entry.summary && <div className="subtle">{entry.summary}</div>}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={page} pageSize={PAGE_SIZE} total={total} noun="entries" onPage={setPage} />
    </div>
  );
}
