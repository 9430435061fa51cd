import { useState } from "react";
import {
  defaultsFor,
  getPath,
  humanize,
  resolveField,
  setPath,
  type JsonObject,
  type JsonSchema,
  type JsonValue,
  type ResolvedField,
} from "./jsonSchema";

export interface SchemaFormProps {
  /** The node type's config_schema (may be a $ref into $defs). */
  schema: JsonSchema;
  value: JsonObject;
  onChange: (value: JsonObject) => void;
  errors: Record<string, string>;
  /** Show every error now (after a submit attempt), not only for fields already left. */
  showAllErrors?: boolean;
  /** Dotted paths of write-only fields (password inputs). */
  secretFields?: string[];
  /** Secrets already stored on the server: shown as "set" with a Replace action. */
  secretsSet?: string[];
  replacing?: Set<string>;
  onReplace?: (path: string, replacing: boolean) => void;
  disabled?: boolean;
  idPrefix?: string;
}

interface Context extends SchemaFormProps {
  root: JsonSchema;
  touched: Set<string>;
  touch: (path: string) => void;
  set: (path: string, next: JsonValue | undefined) => void;
}

/** A form generated from a JSON Schema, so a plugin's node type gets a UI without UI code. */
export function SchemaForm(props: SchemaFormProps) {
  const [touched, setTouched] = useState<Set<string>>(() => new Set());
  const root = props.schema;
  const object = resolveField(root, root).schema;
  const context: Context = {
    ...props,
    root,
    touched,
    touch: (path) => setTouched((current) => (current.has(path) ? current : new Set(current).add(path))),
    set: (path, next) => props.onChange(setPath(props.value, path, next)),
  };
  return <ObjectFields schema={object} path="" context={context} />;
}

function ObjectFields({ schema, path, context }: { schema: JsonSchema; path: string; context: Context }) {
  const required = new Set(schema.required ?? []);
  return (
    <>
      {Object.entries(schema.properties ?? {}).map(([name, property]) => (
        <Field key={name} name={name} path={path ? `${path}.${name}` : name} field={resolveField(property, context.root)} required={required.has(name)} context={context} />
      ))}
    </>
  );
}

function fieldId(context: Context, path: string): string {
  return `${context.idPrefix ?? "cfg"}-${path.replace(/\./g, "-")}`;
}

function Field({ name, path, field, required, context }: { name: string; path: string; field: ResolvedField; required: boolean; context: Context }) {
  const label = field.schema.title && field.kind !== "object" ? field.schema.title : humanize(name);
  const value = getPath(context.value, path);
  const id = fieldId(context, path);
  const error = context.errors[path];
  const showError = Boolean(error) && (context.showAllErrors || context.touched.has(path));
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [field.schema.description ? hintId : "", showError ? errorId : ""].filter(Boolean).join(" ") || undefined;
  const common = {
    id,
    "aria-invalid": showError || undefined,
    "aria-describedby": describedBy,
    "aria-required": required || undefined,
    disabled: context.disabled,
    onBlur: () => context.touch(path),
  };

  if (field.kind === "object") {
    const enabled = value !== null && value !== undefined;
    return (
      <fieldset className="group">
        <legend>{humanize(name)}</legend>
        {field.schema.description && <p className="hint subtle">{field.schema.description}</p>}
        {field.nullable && (
          <label className="checkbox">
            <input
              type="checkbox"
              checked={enabled}
              disabled={context.disabled}
              onChange={(event) => context.set(path, event.target.checked ? defaultsFor(field.schema, context.root) : null)}
            />
            Use {humanize(name).toLowerCase()}
          </label>
        )}
        {(enabled || !field.nullable) && <ObjectFields schema={field.schema} path={path} context={context} />}
      </fieldset>
    );
  }

  if (field.kind === "boolean") {
    return (
      <div className="field">
        <label className="checkbox" htmlFor={id}>
          <input type="checkbox" {...common} checked={Boolean(value)} onChange={(event) => context.set(path, event.target.checked)} />
          {label}
        </label>
        {field.schema.description && <span className="hint" id={hintId}>{field.schema.description}</span>}
      </div>
    );
  }

  const secret = context.secretFields?.includes(path) ?? false;
  const stored = secret && (context.secretsSet?.includes(path) ?? false);
  const replacing = context.replacing?.has(path) ?? false;

  let control;
  if (stored && !replacing) {
    control = (
      <div className="row">
        <span className="badge badge-ok" id={id}>set</span>
        <span className="subtle">Stored encrypted; never shown.</span>
        {!context.disabled && (
          <button type="button" className="btn btn-sm" onClick={() => context.onReplace?.(path, true)} aria-label={`Replace ${label}`}>
            Replace
          </button>
        )}
      </div>
    );
  } else if (field.kind === "enum") {
    const options = field.schema.enum ?? [];
    control = (
      <select className="select input" {...common} value={value === undefined || value === null ? "" : String(value)} onChange={(event) => {
        const chosen = options.find((option) => String(option) === event.target.value);
        context.set(path, (chosen as JsonValue | undefined) ?? undefined);
      }}>
        {(!required || field.schema.default === undefined) && <option value="">—</option>}
        {options.map((option) => (
          <option key={String(option)} value={String(option)}>{String(option)}</option>
        ))}
      </select>
    );
  } else if (field.kind === "string" || field.kind === "integer" || field.kind === "number") {
    const numeric = field.kind !== "string";
    control = (
      <div className="row">
        <input
          className="input"
          {...common}
          type={secret ? "password" : numeric ? "number" : "text"}
          autoComplete={secret ? "new-password" : "off"}
          step={field.kind === "integer" ? 1 : "any"}
          placeholder={field.schema.default !== undefined && field.schema.default !== null ? String(field.schema.default) : undefined}
          value={value === undefined || value === null ? "" : String(value)}
          onChange={(event) => {
            const raw = event.target.value;
            context.set(path, raw === "" ? undefined : numeric ? Number(raw) : raw);
          }}
        />
        {stored && replacing && (
          <button type="button" className="btn btn-sm" onClick={() => { context.set(path, undefined); context.onReplace?.(path, false); }}>
            Keep stored
          </button>
        )}
      </div>
    );
  } else if (field.kind === "array") {
    control = <ListEditor id={id} path={path} field={field} value={(value as JsonValue[] | undefined) ?? []} context={context} label={label} />;
  } else if (field.kind === "map") {
    control = <MapEditor id={id} path={path} value={(value as JsonObject | undefined) ?? {}} context={context} label={label} />;
  } else {
    control = <textarea className="input mono" {...common} value={value === undefined ? "" : JSON.stringify(value)} onChange={(event) => {
      try {
        context.set(path, JSON.parse(event.target.value) as JsonValue);
      } catch {
        /* keep typing until it parses */
      }
    }} />;
  }

  return (
    <div className="field">
      <label htmlFor={id}>
        {label}
        {required && <span aria-hidden="true" className="required"> *</span>}
      </label>
      {control}
      {field.schema.description && <span className="hint" id={hintId}>{field.schema.description}</span>}
      {showError && <span className="error-text" id={errorId} role="alert">{error}</span>}
    </div>
  );
}

function ListEditor({ id, path, field, value, context, label }: { id: string; path: string; field: ResolvedField; value: JsonValue[]; context: Context; label: string }) {
  const item = field.schema.items ? resolveField(field.schema.items, context.root) : null;
  const numeric = item?.kind === "integer" || item?.kind === "number";
  const update = (next: JsonValue[]) => context.set(path, next.length ? next : undefined);
  return (
    <div className="stack" style={{ gap: 6 }} id={id} role="group" aria-label={label}>
      {value.map((entry, index) => (
        <div className="row" key={index}>
          <input
            className="input"
            type={numeric ? "number" : "text"}
            aria-label={`${label} ${index + 1}`}
            disabled={context.disabled}
            value={entry === null ? "" : String(entry)}
            onBlur={() => context.touch(path)}
            onChange={(event) => update(value.map((old, at) => (at === index ? (numeric ? Number(event.target.value) : event.target.value) : old)))}
          />
          <button type="button" className="btn btn-sm btn-ghost" aria-label={`Remove ${label} ${index + 1}`} disabled={context.disabled} onClick={() => update(value.filter((_, at) => at !== index))}>
            ✕
          </button>
        </div>
      ))}
      <div>
        <button type="button" className="btn btn-sm" disabled={context.disabled} onClick={() => update([...value, numeric ? 0 : ""])}>
          Add value
        </button>
      </div>
    </div>
  );
}

function MapEditor({ id, path, value, context, label }: { id: string; path: string; value: JsonObject; context: Context; label: string }) {
  const entries = Object.entries(value);
  const update = (next: [string, JsonValue | undefined][]) => context.set(path, next.length ? Object.fromEntries(next) : undefined);
  return (
    <div className="stack" style={{ gap: 6 }} id={id} role="group" aria-label={label}>
      {entries.map(([key, entry], index) => (
        <div className="row" key={index}>
          <input className="input" aria-label={`${label} name ${index + 1}`} disabled={context.disabled} value={key} onChange={(event) => update(entries.map((old, at) => (at === index ? [event.target.value, old[1]] : old)))} />
          <input className="input" aria-label={`${label} value ${index + 1}`} disabled={context.disabled} value={entry === null || entry === undefined ? "" : String(entry)} onChange={(event) => update(entries.map((old, at) => (at === index ? [old[0], event.target.value] : old)))} />
          <button type="button" className="btn btn-sm btn-ghost" aria-label={`Remove ${label} ${index + 1}`} disabled={context.disabled} onClick={() => update(entries.filter((_, at) => at !== index))}>
            ✕
          </button>
        </div>
      ))}
      <div>
        <button type="button" className="btn btn-sm" disabled={context.disabled} onClick={() => update([...entries, [`name-${entries.length + 1}`, ""]])}>
          Add entry
        </button>
      </div>
    </div>
  );
}
