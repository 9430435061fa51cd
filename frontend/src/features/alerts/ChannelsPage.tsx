import { useState, type FormEvent } from "react";
import { ErrorState, Loading } from "../../components/feedback";
import { AlertsHeader } from "./AlertsNav";
import { useChannels, useCreateChannel, useDeleteChannel, type ChannelCreate, type ChannelRead } from "./api";
import { invalidFields, splitList } from "./form";
import "./alerts.css";

type Kind = ChannelCreate["kind"];

function ChannelForm() {
  const create = useCreateChannel();
  const [name, setName] = useState("");
  const [kind, setKind] = useState<Kind>("webhook");
  const [url, setUrl] = useState("");
  const [secret, setSecret] = useState("");
  const [to, setTo] = useState("");
  const invalid = invalidFields(create.error);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const config = kind === "webhook" ? { url: url.trim(), secret } : kind === "slack" ? { url: url.trim() } : { to: splitList(to) };
    create.mutate({ name: name.trim(), kind, config }, {
      onSuccess: () => { setName(""); setUrl(""); setSecret(""); setTo(""); create.reset(); },
    });
  };

  return (
    <form className="card alert-form" aria-label="New channel" onSubmit={submit} noValidate>
      <div className="alert-form-fields">
        <div className="field">
          <label htmlFor="channel-name">Name</label>
          <input id="channel-name" className="input" value={name} onChange={(event) => setName(event.target.value)} aria-invalid={invalid.includes("name")} />
        </div>
        <div className="field">
          <label htmlFor="channel-kind">Kind</label>
          <select id="channel-kind" className="select" value={kind} onChange={(event) => setKind(event.target.value as Kind)}>
            <option value="webhook">webhook (signed JSON)</option>
            <option value="slack">Slack incoming webhook</option>
            <option value="email">e-mail</option>
          </select>
        </div>
        {kind !== "email" && (
          <div className="field">
            <label htmlFor="channel-url">{kind === "slack" ? "Incoming-webhook URL (kept secret)" : "URL"}</label>
            <input id="channel-url" className="input" type={kind === "slack" ? "password" : "url"} value={url} onChange={(event) => setUrl(event.target.value)} aria-invalid={invalid.includes("config.url")} />
          </div>
        )}
        {kind === "webhook" && (
          <div className="field">
            <label htmlFor="channel-secret">Signing secret</label>
            <input id="channel-secret" className="input" type="password" autoComplete="new-password" value={secret} onChange={(event) => setSecret(event.target.value)} aria-invalid={invalid.includes("config.secret")} />
          </div>
        )}
        {kind === "email" && (
          <div className="field">
            <label htmlFor="channel-to">Addresses (comma-separated)</label>
            <input id="channel-to" className="input" value={to} onChange={(event) => setTo(event.target.value)} aria-invalid={invalid.some((field) => field.startsWith("config.to"))} />
          </div>
        )}
        <button type="submit" className="btn btn-primary" disabled={create.isPending || !name.trim()}>{create.isPending ? "Adding…" : "Add channel"}</button>
      </div>
      {create.error && <div className="alert alert-error" role="alert">{create.error.message}</div>}
    </form>
  );
}

function ChannelRow({ channel }: { channel: ChannelRead }) {
  const remove = useDeleteChannel();
  const config = channel.config as { url?: string | null; to?: string[] };
  const where = channel.kind === "email" ? (config.to ?? []).join(", ") : config.url ?? "(secret URL)";
  return (
    <tr data-testid="channel-row" data-name={channel.name}>
      <td>{channel.name}</td>
      <td><span className="badge plain">{channel.kind}</span></td>
      <td>{where}</td>
      <td>{channel.secrets_set.length ? `${channel.secrets_set.join(", ")} set` : "—"}</td>
      <td style={{ textAlign: "right" }}>
        <button className="btn btn-sm btn-danger" disabled={remove.isPending} onClick={() => window.confirm(`Delete the channel “${channel.name}”?`) && remove.mutate(channel.id)}>Delete</button>
      </td>
    </tr>
  );
}

export default function ChannelsPage() {
  const channels = useChannels(true);
  return (
    <div className="page">
      <AlertsHeader title="Alert channels">Where alerts go. Secrets (a webhook's signing secret, a Slack URL) are stored encrypted and never shown again.</AlertsHeader>
      <ChannelForm />
      {channels.isPending && <Loading />}
      {channels.isError && <ErrorState error={channels.error} onRetry={() => void channels.refetch()} />}
      {channels.data && channels.data.length === 0 && <div className="empty">No channel yet.</div>}
      {channels.data && channels.data.length > 0 && (
        <div className="card">
          <table className="table" aria-label="Alert channels">
            <thead><tr><th>Name</th><th>Kind</th><th>Where</th><th>Secrets</th><th /></tr></thead>
            <tbody>{channels.data.map((channel) => <ChannelRow key={channel.id} channel={channel} />)}</tbody>
          </table>
        </div>
      )}
    </div>
  );
}
