import { useState, type FormEvent } from "react";
import { useAuth } from "../../auth/AuthContext";
import { ErrorState, Loading } from "../../components/feedback";
import { AlertsHeader } from "./AlertsNav";
import { useChannels, useCreateRule, useDeleteRule, useRules, useToggleRule, type RuleCreate, type RuleRead } from "./api";
import { invalidFields, splitList } from "./form";
import "./alerts.css";

type Kind = RuleCreate["condition"]["kind"];
const KINDS: { value: Kind; label: string }[] = [
  { value: "run_failed", label: "a run fails" },
  { value: "freshness", label: "not written / completed for too long" },
  { value: "node_error", label: "a catalog node's check fails" },
  { value: "schema_changed", label: "a column is removed or retyped" },
  { value: "quality_failed", label: "a data-quality check fails" },
];

function RuleForm() {
  const create = useCreateRule();
  const channels = useChannels(true);
  const [name, setName] = useState("");
  const [kind, setKind] = useState<Kind>("run_failed");
  const [minutes, setMinutes] = useState("60");
  const [namespaces, setNamespaces] = useState("");
  const [tags, setTags] = useState("");
  const [channelIds, setChannelIds] = useState<string[]>([]);
  const [notify, setNotify] = useState(true);
  const invalid = invalidFields(create.error);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const condition = kind === "freshness" ? { kind, max_age_seconds: Math.round(Number(minutes) * 60) } : { kind };
    const body = { name: name.trim(), enabled: true, condition, scope: { namespaces: splitList(namespaces), tags: splitList(tags) }, channel_ids: channelIds, notify_downstream_owners: notify };
    create.mutate(body, { onSuccess: () => { setName(""); create.reset(); } });
  };
  const toggle = (id: string) => setChannelIds((ids) => (ids.includes(id) ? ids.filter((item) => item !== id) : [...ids, id]));

  return (
    <form className="card alert-form" aria-label="New rule" onSubmit={submit} noValidate>
      <div className="alert-form-fields">
        <div className="field">
          <label htmlFor="rule-name">Name</label>
          <input id="rule-name" className="input" value={name} onChange={(event) => setName(event.target.value)} aria-invalid={invalid.includes("name")} />
        </div>
        <div className="field">
          <label htmlFor="rule-kind">Alert when</label>
          <select id="rule-kind" className="select" value={kind} onChange={(event) => setKind(event.target.value as Kind)}>
            {KINDS.map((option) => <option key={option.value} value={option.value}>{option.label}</option>)}
          </select>
        </div>
        {kind === "freshness" && (
          <div className="field">
            <label htmlFor="rule-age">Allowed minutes without a write</label>
            <input id="rule-age" className="input" type="number" value={minutes} onChange={(event) => setMinutes(event.target.value)} aria-invalid={invalid.includes("condition.max_age_seconds")} />
          </div>
        )}
        <div className="field">
          <label htmlFor="rule-namespaces">Namespaces (comma-separated; empty: all)</label>
          <input id="rule-namespaces" className="input" value={namespaces} onChange={(event) => setNamespaces(event.target.value)} />
        </div>
        <div className="field">
          <label htmlFor="rule-tags">Tags (comma-separated)</label>
          <input id="rule-tags" className="input" value={tags} onChange={(event) => setTags(event.target.value)} />
        </div>
      </div>
      <fieldset className="row" aria-label="Channels">
        <span>Send to:</span>
        {(channels.data ?? []).map((channel) => (
          <label key={channel.id} className="row">
            <input type="checkbox" checked={channelIds.includes(channel.id)} onChange={() => toggle(channel.id)} /> {channel.name} ({channel.kind})
          </label>
        ))}
        {channels.data?.length === 0 && <span className="subtle">no channel yet: add one under Channels</span>}
        <label className="row">
          <input type="checkbox" checked={notify} onChange={(event) => setNotify(event.target.checked)} /> notify the owners of everything downstream
        </label>
      </fieldset>
      <div>
        <button type="submit" className="btn btn-primary" disabled={create.isPending || !name.trim()}>{create.isPending ? "Adding…" : "Add rule"}</button>
      </div>
      {create.error && <div className="alert alert-error" role="alert">{create.error.message}</div>}
    </form>
  );
}

function scopeText(rule: RuleRead): string {
  const { asset_ids, process_ids, node_ids, namespaces, tags } = rule.scope;
  const parts = [
    ...(namespaces ?? []).map((item) => `namespace ${item}`),
    ...(tags ?? []).map((item) => `tag ${item}`),
    ...((asset_ids?.length ?? 0) + (process_ids?.length ?? 0) + (node_ids?.length ?? 0) ? [`${(asset_ids?.length ?? 0) + (process_ids?.length ?? 0) + (node_ids?.length ?? 0)} chosen items`] : []),
  ];
  return parts.length ? parts.join(", ") : "everything";
}

function RuleRow({ rule }: { rule: RuleRead }) {
  const { isAdmin } = useAuth();
  const toggle = useToggleRule();
  const remove = useDeleteRule();
  const age = rule.condition.max_age_seconds;
  return (
    <tr data-testid="rule-row" data-name={rule.name}>
      <td>{rule.name}</td>
      <td><span className="badge plain">{rule.condition.kind}</span>{age ? ` after ${Math.round(age / 60)} min` : ""}</td>
      <td>{scopeText(rule)}</td>
      <td>{rule.channel_ids.length}{rule.notify_downstream_owners ? " + downstream owners" : ""}</td>
      <td>
        {isAdmin ? (
          <label className="row"><input type="checkbox" checked={rule.enabled} disabled={toggle.isPending} onChange={(event) => toggle.mutate({ id: rule.id, enabled: event.target.checked })} /> enabled</label>
        ) : rule.enabled ? "enabled" : "disabled"}
      </td>
      <td style={{ textAlign: "right" }}>
        {isAdmin && <button className="btn btn-sm btn-danger" disabled={remove.isPending} onClick={() => window.confirm(`Delete the rule “${rule.name}”?`) && remove.mutate(rule.id)}>Delete</button>}
      </td>
    </tr>
  );
}

export default function RulesPage() {
  const { isAdmin } = useAuth();
  const rules = useRules();
  return (
    <div className="page">
      <AlertsHeader title="Alert rules">When DLV alerts, about what, and whom it tells.</AlertsHeader>
      {isAdmin && <RuleForm />}
      {rules.isPending && <Loading />}
      {rules.isError && <ErrorState error={rules.error} onRetry={() => void rules.refetch()} />}
      {rules.data && rules.data.length === 0 && <div className="empty">No rule yet.</div>}
      {rules.data && rules.data.length > 0 && (
        <div className="card">
          <table className="table" aria-label="Alert rules">
            <thead><tr><th>Name</th><th>Condition</th><th>Scope</th><th>Channels</th><th>State</th><th /></tr></thead>
            <tbody>{rules.data.map((rule) => <RuleRow key={rule.id} rule={rule} />)}</tbody>
          </table>
        </div>
      )}
    </div>
  );
}
