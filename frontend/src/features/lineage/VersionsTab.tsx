import { useState } from "react";
import { Pager } from "../../components/Pager";
import { ErrorState, Loading, RelativeTime, StatusBadge } from "../../components/feedback";
import type { DatasetVersion, SchemaDiff } from "../../api/types";
import { RUNS_PAGE, useVersionDiff, useVersions } from "./history";
import { defaultDiffPair, formatBytes, shortVersion } from "./runsModel";
import { RunView, type RunActions } from "./RunView";

/** Added (green), removed (red) and retyped (amber) columns between two versions. */
function DiffView({ diff }: { diff: SchemaDiff }) {
  const rows = [
    ...diff.added.map((field) => ({ name: field.name, change: "added", detail: field.type ?? "" })),
    ...diff.removed.map((field) => ({ name: field.name, change: "removed", detail: field.type ?? "" })),
    ...diff.type_changed.map((field) => ({ name: field.name, change: "changed", detail: `${field.from_type ?? "?"} → ${field.to_type ?? "?"}` })),
  ];
  if (!rows.length) return <p className="subtle" data-testid="schema-diff">Same schema in both versions.</p>;
  return (
    <table className="table" data-testid="schema-diff">
      <thead><tr><th>Column</th><th>Change</th><th>Type</th></tr></thead>
      <tbody>
        {rows.map((row) => (
          <tr key={`${row.change}:${row.name}`} className={`diff-${row.change}`}>
            <td className="mono">{row.name}</td>
            <td>{row.change}</td>
            <td className="muted">{row.detail}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function VersionRow({ version, pair, onPick, onOpenRun }: {
  version: DatasetVersion;
  pair: { from: string | null; to: string | null };
  onPick: (end: "from" | "to", runId: string) => void;
  onOpenRun: () => void;
}) {
  const id = version.run_id;
  return (
    <tr data-testid="version-row">
      <td><input type="radio" name="diff-from" aria-label={`Diff from ${version.version}`} checked={pair.from === id} onChange={() => onPick("from", id)} /></td>
      <td><input type="radio" name="diff-to" aria-label={`Diff to ${version.version}`} checked={pair.to === id} onChange={() => onPick("to", id)} /></td>
      <td>
        <span className="mono truncate" title={version.version}>{shortVersion(version.version)}</span>
        {version.lifecycle_state_change && <span className="badge">{version.lifecycle_state_change}</span>}
        <div className="subtle"><RelativeTime value={version.created_at} /> · {version.fields.length} columns</div>
        <div className="subtle">{version.row_count ?? "—"} rows · {formatBytes(version.byte_count)}</div>
      </td>
      <td>
        <button className="link-button" title={`Open run ${id}`} onClick={onOpenRun}><StatusBadge status={version.run_state} /></button>
      </td>
    </tr>
  );
}

/** An asset's versions (one per run that wrote it), newest first, and a schema diff between
 * two chosen versions. */
export function VersionsTab({ assetId, ...actions }: { assetId: string } & RunActions) {
  const [page, setPage] = useState(1);
  const [chosen, setChosen] = useState<{ from: string | null; to: string | null } | null>(null);
  const [openRun, setOpenRun] = useState<string | null>(null);
  const versions = useVersions(assetId, page);
  const pair = chosen ?? defaultDiffPair(versions.data?.items ?? []);
  const diff = useVersionDiff(assetId, pair.from, pair.to);
  if (openRun) return <RunView runId={openRun} onBack={() => setOpenRun(null)} {...actions} />;
  if (versions.isPending) return <Loading />;
  if (versions.isError) return <ErrorState error={versions.error} onRetry={() => void versions.refetch()} />;
  const { items = [], total } = versions.data;
  if (!items.length) return <p className="subtle">No versions recorded. A version is made by each run that writes this asset.</p>;
  return (
    <div className="stack" style={{ gap: 8 }} data-testid="versions-tab">
      <table className="table">
        <thead><tr><th title="Diff from">From</th><th title="Diff to">To</th><th>Version</th><th>Run</th></tr></thead>
        <tbody>
          {items.map((version) => (
            <VersionRow key={version.run_id} version={version} pair={pair} onPick={(end, id) => setChosen({ ...pair, [end]: id })} onOpenRun={() => setOpenRun(version.run_id)} />
          ))}
        </tbody>
      </table>
      <Pager page={page} pageSize={RUNS_PAGE} total={total ?? items.length} noun="versions" onPage={setPage} />
      <h3 className="panel-title">Schema diff</h3>
      {(!pair.from || !pair.to || pair.from === pair.to) && <p className="subtle">Choose two different versions (From, To) to compare their schemas.</p>}
      {diff.isError && <ErrorState error={diff.error} />}
      {diff.data && <DiffView diff={diff.data} />}
    </div>
  );
}
