import { useMemo, useState, type FormEvent } from "react";
import type { NodeRead, NodeTypeRead, TestReport } from "../../api/types";
import { useAuth } from "../../auth/AuthContext";
import { ErrorState, Loading, RelativeTime, StatusBadge } from "../../components/feedback";
import { Modal } from "../../components/Modal";
import { useDeleteNode, useNodeChecks, useSaveNode, useTestConnection } from "./api";
import { defaultsFor, rootObject, validate, withoutKeptSecrets, type JsonObject, type JsonSchema } from "./jsonSchema";
import { SchemaForm } from "./SchemaForm";
import { DiscoverNow } from "./DiscoverNow";
import { ScheduleFields, scheduleFromNode, scheduleSeconds, type Schedule } from "./NodeSchedule";
import { TestReportView, formatLatency } from "./TestReportView";

interface NodeModalProps {
  node?: NodeRead;
  types: NodeTypeRead[];
  onClose: () => void;
}

function initialConfig(node: NodeRead | undefined, type: NodeTypeRead | undefined): JsonObject {
  if (!type) return {};
  const schema = type.config_schema as JsonSchema;
  if (!node) return defaultsFor(rootObject(schema), schema);
  // Stored secrets come back as null: leave them out so an untouched form keeps them.
  return withoutKeptSecrets(node.config as JsonObject, type.secret_fields, new Set());
}

export function NodeModal({ node, types, onClose }: NodeModalProps) {
  const { isAdmin } = useAuth();
  const [tab, setTab] = useState<"settings" | "history">("settings");
  const [typeKey, setTypeKey] = useState(node?.type ?? types[0]?.key ?? "");
  const type = types.find((item) => item.key === typeKey);
  const schema = (type?.config_schema ?? {}) as JsonSchema;
  const [name, setName] = useState(node?.name ?? "");
  const [description, setDescription] = useState(node?.description ?? "");
  const [tags, setTags] = useState((node?.tags ?? []).join(", "));
  const [config, setConfig] = useState<JsonObject>(() => initialConfig(node, type));
  const [replacing, setReplacing] = useState<Set<string>>(() => new Set());
  const [dirty, setDirty] = useState(false);
  const [submitted, setSubmitted] = useState(false);
  const [report, setReport] = useState<TestReport | null>(null);
  const [schedule, setSchedule] = useState<Schedule>(() => scheduleFromNode(node));
  const checkEvery = scheduleSeconds(schedule.check, "Check every");
  const discoverEvery = scheduleSeconds(schedule.discovery, "Discover every");
  const save = useSaveNode();
  const test = useTestConnection();
  const remove = useDeleteNode();

  const errors = useMemo(() => {
    const found = type ? validate(rootObject(schema), config, schema) : {};
    if (!name.trim()) found.__name = "Give the node a name.";
    if (checkEvery.error) found.__check = checkEvery.error;
    if (discoverEvery.error) found.__discovery = discoverEvery.error;
    return found;
  }, [type, schema, config, name, checkEvery.error, discoverEvery.error]);
  const valid = Object.keys(errors).length === 0;
  const readOnly = !isAdmin;
  const secretFields = type?.secret_fields ?? [];

  const changed = <T,>(setter: (value: T) => void) => (value: T) => {
    setter(value);
    setDirty(true);
    setReport(null);
  };
  const payload = () => ({
    id: node?.id,
    name: name.trim(),
    type: typeKey,
    description: description.trim() || null,
    tags: tags.split(",").map((tag) => tag.trim()).filter(Boolean),
    config: withoutKeptSecrets(config, secretFields, replacing),
    check_interval_seconds: checkEvery.seconds,
    discovery_interval_seconds: discoverEvery.seconds,
  });

  const submit = async (event?: FormEvent) => {
    event?.preventDefault();
    setSubmitted(true);
    if (!valid) return null;
    const saved = await save.mutateAsync(payload());
    setDirty(false);
    return saved;
  };

  const runTest = async () => {
    setSubmitted(true);
    if (!valid) return;
    setReport(null);
    // A saved node is tested with its stored secrets, so unsaved edits are saved first.
    if (node) {
      const saved = dirty ? await submit() : node;
      if (saved) setReport(await test.mutateAsync({ id: saved.id }));
    } else {
      setReport(await test.mutateAsync({ type: typeKey, config: payload().config }));
    }
  };

  const failure = save.error ?? test.error;
  const busy = save.isPending || test.isPending;

  return (
    <Modal
      wide
      title={node ? node.name : "Add a node"}
      onClose={onClose}
      footer={
        readOnly ? (
          <button className="btn" onClick={onClose}>Close</button>
        ) : (
          <>
            {node && (
              <button
                className="btn btn-danger"
                onClick={() => {
                  if (window.confirm(`Delete ${node.name} and its check history?`)) remove.mutate(node.id, { onSuccess: onClose });
                }}
              >
                Delete
              </button>
            )}
            <span className="spacer" />
            <button className="btn" onClick={() => void runTest().catch(() => undefined)} disabled={busy || !type}>
              {test.isPending ? "Testing…" : node && dirty ? "Save & test" : "Test connection"}
            </button>
            <button className="btn" onClick={onClose}>Cancel</button>
            <button
              className="btn btn-primary"
              type="submit"
              form="node-form"
              disabled={busy}
            >
              {save.isPending ? "Saving…" : node ? "Save changes" : "Add node"}
            </button>
          </>
        )
      }
    >
      {node && (
        <div className="tabs" role="tablist" aria-label="Node">
          <button role="tab" id="tab-settings" aria-controls="panel-settings" aria-selected={tab === "settings"} onClick={() => setTab("settings")}>
            Settings
          </button>
          <button role="tab" id="tab-history" aria-controls="panel-history" aria-selected={tab === "history"} onClick={() => setTab("history")}>
            Check history
          </button>
        </div>
      )}
      {tab === "history" && node ? (
        <div role="tabpanel" id="panel-history" aria-labelledby="tab-history">
          <CheckHistory nodeId={node.id} />
        </div>
      ) : (
        <form id="node-form" className="stack" role={node ? "tabpanel" : undefined} aria-labelledby={node ? "tab-settings" : undefined} onSubmit={(event) => void submit(event).then((saved) => saved && !node && onClose(), () => undefined)} noValidate>
          {failure && <div className="alert alert-error" role="alert">{failure.message}</div>}
          {readOnly && <p className="subtle">You have read-only access: ask an admin to change this node.</p>}
          <fieldset className="plain-fieldset stack" disabled={readOnly}>
            <div className="form-grid">
              <div className="field">
                <label htmlFor="node-name">Name <span aria-hidden="true" className="required">*</span></label>
                <input id="node-name" className="input" required aria-invalid={submitted && Boolean(errors.__name)} value={name} onChange={(event) => changed(setName)(event.target.value)} />
                {submitted && errors.__name && <span className="error-text">{errors.__name}</span>}
              </div>
              <div className="field">
                <label htmlFor="node-type">Type</label>
                <select
                  id="node-type"
                  className="select input"
                  value={typeKey}
                  disabled={Boolean(node)}
                  onChange={(event) => {
                    const next = types.find((item) => item.key === event.target.value);
                    setTypeKey(event.target.value);
                    setConfig(initialConfig(undefined, next));
                    setReport(null);
                  }}
                >
                  {types.map((item) => (
                    <option key={item.key} value={item.key}>{item.label}</option>
                  ))}
                </select>
                {type && <span className="hint">{type.description}</span>}
              </div>
            </div>
            <div className="field">
              <label htmlFor="node-description">Description</label>
              <input id="node-description" className="input" value={description} onChange={(event) => changed(setDescription)(event.target.value)} />
            </div>
            <div className="field">
              <label htmlFor="node-tags">Tags</label>
              <input id="node-tags" className="input" placeholder="prod, finance" value={tags} onChange={(event) => changed(setTags)(event.target.value)} />
              <span className="hint">Comma-separated.</span>
            </div>
          </fieldset>
          {type && (
            <fieldset className="group" disabled={readOnly}>
              <legend>Connection</legend>
              <SchemaForm
                key={typeKey}
                schema={schema}
                value={config}
                onChange={changed(setConfig)}
                errors={errors}
                showAllErrors={submitted}
                secretFields={secretFields}
                secretsSet={node?.secrets_set ?? []}
                replacing={replacing}
                onReplace={(path, on) => {
                  setReplacing((current) => {
                    const next = new Set(current);
                    if (on) next.add(path);
                    else next.delete(path);
                    return next;
                  });
                  setDirty(true);
                }}
                disabled={readOnly}
              />
            </fieldset>
          )}
          <fieldset className="plain-fieldset" disabled={readOnly}>
            <ScheduleFields value={schedule} onChange={changed(setSchedule)} errors={submitted ? { check: checkEvery.error, discovery: discoverEvery.error } : {}} />
          </fieldset>
          {node && <DiscoverNow nodeId={node.id} admin={isAdmin} />}
          {test.isPending && <Loading>Testing the connection…</Loading>}
          {report && <TestReportView report={report} />}
        </form>
      )}
    </Modal>
  );
}

function CheckHistory({ nodeId }: { nodeId: string }) {
  const checks = useNodeChecks(nodeId);
  if (checks.isPending) return <Loading />;
  if (checks.isError) return <ErrorState error={checks.error} onRetry={() => void checks.refetch()} />;
  if (!checks.data.length) return <p className="empty">No checks yet. Test the connection, or set a check interval.</p>;
  return (
    <table className="table" data-testid="check-history">
      <thead>
        <tr><th>When</th><th>Status</th><th>Latency</th><th>Trigger</th><th>Message</th></tr>
      </thead>
      <tbody>
        {checks.data.map((check) => (
          <tr key={check.id}>
            <td><RelativeTime value={check.checked_at} /></td>
            <td><StatusBadge status={check.status} /></td>
            <td>{formatLatency(check.latency_ms)}</td>
            <td className="muted">{check.trigger}</td>
            <td>
              {check.message}
              {check.steps.some((step) => !step.passed) && (
                <div className="subtle">Failed at: {check.steps.filter((step) => !step.passed).map((step) => step.name).join(", ")}</div>
              )}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
