import { useState } from "react";
import { Link } from "react-router";
import { useAuth } from "../../auth/AuthContext";
import { ErrorState, Loading, formatRelative, formatTime } from "../../components/feedback";
import { Pager } from "../../components/Pager";
import { AlertsHeader } from "./AlertsNav";
import { PAGE_SIZE, useAlertEvents, useResolveAlert, type AlertRead } from "./api";
import "./alerts.css";

const STATE_BADGE = { delivered: "badge-ok", pending: "badge-warn", failed: "badge-error" } as const;

function AlertRow({ alert }: { alert: AlertRead }) {
  const { isAdmin } = useAuth();
  const resolve = useResolveAlert();
  const impacted = (alert.payload?.impact as { total?: number } | undefined)?.total;
  return (
    <tr data-testid="alert-row" data-kind={alert.kind}>
      <td title={formatTime(alert.occurred_at)}>{formatRelative(alert.occurred_at)}</td>
      <td><span className="badge plain">{alert.kind}</span></td>
      <td>
        <Link to={`/lineage?node=${alert.subject_id}`}>{alert.subject_name}</Link>
        <div className="subtle">{alert.message}</div>
      </td>
      <td>{alert.rule_name}</td>
      <td>{impacted ?? "…"}</td>
      <td>
        <ul className="alert-deliveries">
          {alert.deliveries.map((delivery) => (
            <li key={delivery.id} title={delivery.last_error ?? undefined}>
              {delivery.channel_name}: <span className={`badge ${STATE_BADGE[delivery.state]}`}>{delivery.state}</span> ({delivery.attempts} attempt{delivery.attempts === 1 ? "" : "s"})
            </li>
          ))}
        </ul>
      </td>
      <td>{alert.resolved_at ? <span title={formatTime(alert.resolved_at)}>resolved</span> : <span className="badge badge-error">open</span>}</td>
      <td style={{ textAlign: "right" }}>
        {isAdmin && !alert.resolved_at && (
          <button className="btn btn-sm" disabled={resolve.isPending} onClick={() => resolve.mutate(alert.id)}>Resolve</button>
        )}
      </td>
    </tr>
  );
}

export default function AlertsPage() {
  const [page, setPage] = useState(1);
  const [status, setStatus] = useState<"open" | "resolved" | undefined>(undefined);
  const events = useAlertEvents(page, status);
  const items = events.data?.items ?? [];
  return (
    <div className="page">
      <AlertsHeader title="Alerts">Failed runs, stale tables, nodes in error, schema changes and failing checks, with where each was delivered.</AlertsHeader>
      <div className="row">
        <label htmlFor="alert-status">Show</label>
        <select id="alert-status" className="select" value={status ?? ""} onChange={(event) => { setStatus((event.target.value || undefined) as typeof status); setPage(1); }}>
          <option value="">all alerts</option>
          <option value="open">open</option>
          <option value="resolved">resolved</option>
        </select>
      </div>
      {events.isPending && <Loading />}
      {events.isError && <ErrorState error={events.error} onRetry={() => void events.refetch()} />}
      {events.data && items.length === 0 && <div className="empty">No alert yet. Add a rule to be told when something breaks.</div>}
      {items.length > 0 && (
        <div className="card">
          <table className="table" aria-label="Fired alerts">
            <thead>
              <tr><th>When</th><th>Kind</th><th>What</th><th>Rule</th><th>Impacted</th><th>Deliveries</th><th>State</th><th /></tr>
            </thead>
            <tbody>{items.map((alert) => <AlertRow key={alert.id} alert={alert} />)}</tbody>
          </table>
        </div>
      )}
      <Pager page={page} pageSize={PAGE_SIZE} total={events.data?.total ?? 0} noun="alerts" onPage={setPage} />
    </div>
  );
}
