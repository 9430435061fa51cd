import { useState } from "react";
import { Link } from "react-router";
import type { DashboardSummary } from "../../api/types";
import { AdminOnly } from "../../auth/AuthContext";
import { ErrorState, Loading, formatRelative, formatTime } from "../../components/feedback";
import { useDashboards, useDeleteDashboard, useUpdateDashboard } from "./api";
import { DashboardForm } from "./DashboardForm";

export default function DashboardsPage() {
  const [search, setSearch] = useState("");
  const dashboards = useDashboards(search.trim());
  const [renaming, setRenaming] = useState<DashboardSummary | null>(null);
  const rename = useUpdateDashboard();
  const remove = useDeleteDashboard();
  const items = dashboards.data?.items ?? [];

  return (
    <div className="page">
      <div className="page-header">
        <div className="stack" style={{ gap: 2 }}>
          <h1>Dashboards</h1>
          <p>Saved lineage canvases: the graph, its layout and depth, ready to reopen during an incident or a review.</p>
        </div>
      </div>
      <input className="input" style={{ maxWidth: 360 }} type="search" aria-label="Search dashboards" placeholder="Search dashboards…" value={search} onChange={(event) => setSearch(event.target.value)} />
      {dashboards.isPending && <Loading />}
      {dashboards.isError && <ErrorState error={dashboards.error} onRetry={() => void dashboards.refetch()} />}
      {dashboards.data && items.length === 0 && (
        <div className="empty">{search ? "No dashboard matches." : "No dashboards yet. Open a lineage and use “Save as dashboard”."}</div>
      )}
      {items.length > 0 && (
        <div className="card">
          <table className="table" aria-label="Dashboards">
            <thead>
              <tr><th>Name</th><th>Owner</th><th>Updated</th><th><span className="visually-hidden">Actions</span></th></tr>
            </thead>
            <tbody>
              {items.map((dashboard) => (
                <tr key={dashboard.id} data-testid="dashboard-row">
                  <td>
                    <Link to={`/lineage?dashboard=${dashboard.id}`} className="dashboard-link">{dashboard.name}</Link>
                    {dashboard.description && <div className="subtle">{dashboard.description}</div>}
                  </td>
                  <td>{dashboard.owner}</td>
                  <td title={formatTime(dashboard.updated_at)}>{formatRelative(dashboard.updated_at)}</td>
                  <td style={{ textAlign: "right", whiteSpace: "nowrap" }}>
                    <AdminOnly>
                      <button className="btn btn-sm" onClick={() => setRenaming(dashboard)} aria-label={`Rename ${dashboard.name}`}>Rename</button>{" "}
                      <button
                        className="btn btn-sm btn-danger"
                        aria-label={`Delete ${dashboard.name}`}
                        onClick={() => window.confirm(`Delete the dashboard “${dashboard.name}”?`) && remove.mutate(dashboard.id)}
                      >
                        Delete
                      </button>
                    </AdminOnly>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {renaming && (
        <DashboardForm
          title="Rename dashboard"
          submitLabel="Rename"
          initialName={renaming.name}
          initialDescription={renaming.description}
          busy={rename.isPending}
          error={rename.error?.message}
          onClose={() => setRenaming(null)}
          onSubmit={(values) => rename.mutate({ id: renaming.id, ...values }, { onSuccess: () => setRenaming(null) })}
        />
      )}
    </div>
  );
}
