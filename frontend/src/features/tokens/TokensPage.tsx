import { useState, type FormEvent } from "react";
import { useAuth } from "../../auth/AuthContext";
import { ErrorState, Loading, formatRelative, formatTime } from "../../components/feedback";
import { Pager } from "../../components/Pager";
import { PAGE_SIZE, useCreateToken, useRevokeToken, useTokens, type TokenRead, type TokenRole } from "./api";
import { ApiError } from "../../api/client";
import { clientSettings, tokenStatus } from "./tokens";
import "./tokens.css";

const ROLES: { value: TokenRole; label: string }[] = [
  { value: "ingest", label: "ingest — sends OpenLineage events" },
  { value: "viewer", label: "viewer — reads the API" },
  { value: "admin", label: "admin — full access" },
];
const FORM_FIELDS = ["name", "role", "expires_in_days"] as const;
const STATUS_BADGE = { active: "badge-ok", expired: "badge-warn", revoked: "badge-error" } as const;

/** A copy-to-clipboard button that says whether it worked (the clipboard needs a secure origin). */
function CopyButton({ text, label }: { text: string; label: string }) {
  const [outcome, setOutcome] = useState<"idle" | "copied" | "failed">("idle");
  const copy = () =>
    navigator.clipboard
      ? navigator.clipboard.writeText(text).then(() => setOutcome("copied"), () => setOutcome("failed"))
      : setOutcome("failed");
  return (
    <button type="button" className="btn btn-sm" onClick={() => void copy()} title={outcome === "failed" ? "The browser refused: select the text and copy it by hand." : undefined}>
      {outcome === "copied" ? "Copied" : outcome === "failed" ? "Copy failed" : label}
    </button>
  );
}

/** Shown once, right after creation: the API never returns the value again. */
function NewTokenPanel({ name, value, onDone }: { name: string; value: string; onDone: () => void }) {
  const settings = clientSettings(window.location.origin, value);
  return (
    <section className="card token-once" aria-label="New token value">
      <div className="stack">
        <div>
          <h2>Token “{name}” created</h2>
          <p className="subtle">Copy it now: it will not be shown again. If it is lost, revoke it and create another.</p>
        </div>
        <div className="row">
          <code className="token-value" data-testid="token-value">{value}</code>
          <CopyButton text={value} label="Copy token" />
        </div>
        <div className="stack" style={{ gap: "var(--space-1)" }}>
          <p>Set these two variables where the OpenLineage client runs (Spark, dbt, Flink…):</p>
          <div className="row token-settings-row">
            <pre className="token-settings" data-testid="token-settings">{settings}</pre>
            <CopyButton text={settings} label="Copy both lines" />
          </div>
          <p className="subtle">In Airflow, the same two variables configure the apache-airflow-providers-openlineage provider.</p>
        </div>
        <div>
          <button type="button" className="btn btn-primary" onClick={onDone}>I have stored it</button>
        </div>
      </div>
    </section>
  );
}

function NewTokenForm({ onCreated }: { onCreated: (name: string, value: string) => void }) {
  const create = useCreateToken();
  const [name, setName] = useState("");
  const [role, setRole] = useState<TokenRole>("ingest");
  const [days, setDays] = useState("");
  // The fields the server named in its problem details (errors[].field).
  const invalid = create.error instanceof ApiError ? create.error.fields.filter((field) => (FORM_FIELDS as readonly string[]).includes(field)) : [];

  const submit = (event: FormEvent) => {
    event.preventDefault();
    // The server checks the lifetime and says what it accepts; the form does not second-guess it.
    const body = { name: name.trim(), role, expires_in_days: days.trim() ? Number(days) : null };
    create.mutate(body, {
      onSuccess: (created) => {
        onCreated(created.name, created.token);
        setName("");
        setDays("");
        create.reset();
      },
    });
  };

  return (
    <form className="card token-form" aria-label="New token" onSubmit={submit} noValidate>
      <div className="token-form-fields">
        <div className="field">
          <label htmlFor="token-name">Name</label>
          <input id="token-name" className="input" placeholder="airflow-prod" value={name} onChange={(event) => setName(event.target.value)} aria-invalid={invalid.includes("name")} />
        </div>
        <div className="field">
          <label htmlFor="token-role">Role</label>
          <select id="token-role" className="select" value={role} onChange={(event) => setRole(event.target.value as TokenRole)} aria-invalid={invalid.includes("role")}>
            {ROLES.map((option) => <option key={option.value} value={option.value}>{option.label}</option>)}
          </select>
        </div>
        <div className="field">
          <label htmlFor="token-days">Lifetime in days</label>
          <input id="token-days" className="input" type="number" inputMode="numeric" placeholder="never expires" value={days} onChange={(event) => setDays(event.target.value)} aria-invalid={invalid.includes("expires_in_days")} />
        </div>
        <button type="submit" className="btn btn-primary" disabled={create.isPending || !name.trim()}>
          {create.isPending ? "Creating…" : "Create token"}
        </button>
      </div>
      {create.error && <div className="alert alert-error" role="alert">{create.error.message}</div>}
    </form>
  );
}

function TokenRow({ token }: { token: TokenRead }) {
  const revoke = useRevokeToken();
  const status = tokenStatus(token);
  return (
    <tr data-testid="token-row" data-name={token.name}>
      <td>{token.name}</td>
      <td><span className="badge plain">{token.role}</span></td>
      <td><code>{token.prefix}…</code></td>
      <td title={formatTime(token.created_at)}>{formatRelative(token.created_at)}</td>
      <td title={formatTime(token.last_used_at)}>{formatRelative(token.last_used_at)}</td>
      <td>{formatTime(token.expires_at)}</td>
      <td><span className={`badge ${STATUS_BADGE[status]}`} data-testid="token-status">{status}</span></td>
      <td style={{ textAlign: "right" }}>
        {status !== "revoked" && (
          <button
            className="btn btn-sm btn-danger"
            disabled={revoke.isPending}
            onClick={() => window.confirm(`Revoke the token “${token.name}”? Everything that sends it gets 401 from now on.`) && revoke.mutate(token.id)}
          >
            Revoke
          </button>
        )}
      </td>
    </tr>
  );
}

export default function TokensPage() {
  const { isAdmin } = useAuth();
  const [page, setPage] = useState(1);
  const [created, setCreated] = useState<{ name: string; value: string } | null>(null);
  const tokens = useTokens(page);
  const items = tokens.data?.items ?? [];
  const total = tokens.data?.total ?? 0;

  return (
    <div className="page">
      <div className="page-header">
        <div className="stack" style={{ gap: 2 }}>
          <h1>API tokens</h1>
          <p>Tokens let Airflow, Spark and scripts call DLV: an ingest token can only send OpenLineage events. A token's value is shown once, when it is created.</p>
        </div>
      </div>
      {isAdmin && <NewTokenForm onCreated={(name, value) => setCreated({ name, value })} />}
      {created && <NewTokenPanel name={created.name} value={created.value} onDone={() => setCreated(null)} />}
      {tokens.isPending && <Loading />}
      {tokens.isError && <ErrorState error={tokens.error} onRetry={() => void tokens.refetch()} />}
      {tokens.data && items.length === 0 && <div className="empty">No API token yet: create one for each system that sends lineage.</div>}
      {items.length > 0 && (
        <div className="card">
          <table className="table" aria-label="API tokens">
            <thead>
              <tr><th>Name</th><th>Role</th><th>Prefix</th><th>Created</th><th>Last used</th><th>Expires</th><th>Status</th><th /></tr>
            </thead>
            <tbody>
              {items.map((token) => <TokenRow key={token.id} token={token} />)}
            </tbody>
          </table>
        </div>
      )}
      <Pager page={page} pageSize={PAGE_SIZE} total={total} noun="tokens" onPage={setPage} />
    </div>
  );
}
