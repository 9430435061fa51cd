// The subset of JSON Schema that msgspec emits for node-type configs: $ref/$defs, objects,
// anyOf [T, null] for optional values, enums, strings, numbers, booleans, arrays and maps.
// Enough for any plugin's config Struct to get a form without UI code.

export interface JsonSchema {
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  type?: string | string[];
  title?: string;
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
  enum?: unknown[];
  default?: unknown;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minItems?: number;
  maxItems?: number;
  format?: string;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue | undefined };
export type JsonObject = { [key: string]: JsonValue | undefined };

/** A property's schema with references followed and `anyOf [T, null]` turned into T + nullable. */
export interface ResolvedField {
  schema: JsonSchema;
  nullable: boolean;
  kind: "enum" | "string" | "integer" | "number" | "boolean" | "object" | "map" | "array" | "unknown";
}

export function deref(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let current = schema;
  for (let hops = 0; current.$ref && hops < 20; hops++) {
    const name = current.$ref.replace(/^#\/\$defs\//, "");
    const target = root.$defs?.[name];
    if (!target) break;
    const { $ref: _ignored, ...rest } = current;
    current = { ...target, ...rest };
  }
  return current;
}

export function resolveField(schema: JsonSchema, root: JsonSchema): ResolvedField {
  let resolved = deref(schema, root);
  let nullable = false;
  if (resolved.anyOf) {
    const options = resolved.anyOf.map((option) => deref(option, root));
    const nonNull = options.filter((option) => option.type !== "null");
    nullable = nonNull.length < options.length;
    if (nonNull.length === 1) {
      const { anyOf: _ignored, ...outer } = resolved;
      resolved = { ...nonNull[0], ...outer, description: outer.description ?? nonNull[0].description };
    }
  }
  const type = Array.isArray(resolved.type) ? resolved.type.find((item) => item !== "null") : resolved.type;
  if (Array.isArray(resolved.type) && resolved.type.includes("null")) nullable = true;
  let kind: ResolvedField["kind"] = "unknown";
  if (resolved.enum) kind = "enum";
  else if (type === "object" && resolved.properties) kind = "object";
  else if (type === "object") kind = "map";
  else if (type === "array") kind = "array";
  else if (type === "string" || type === "integer" || type === "number" || type === "boolean") kind = type;
  return { schema: { ...resolved, type }, nullable, kind };
}

export function rootObject(schema: JsonSchema): JsonSchema {
  return deref(schema, schema);
}

export function humanize(name: string): string {
  const words = name.replace(/_/g, " ").trim();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** Starting values: every declared default, nested objects filled in, optional objects null. */
export function defaultsFor(schema: JsonSchema, root: JsonSchema): JsonObject {
  const values: JsonObject = {};
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const field = resolveField(property, root);
    if (field.schema.default !== undefined && field.schema.default !== null) values[name] = structuredClone(field.schema.default) as JsonValue;
    else if (field.kind === "object" && !field.nullable) values[name] = defaultsFor(field.schema, root);
  }
  return values;
}

function isEmpty(value: unknown): boolean {
  return value === undefined || value === null || value === "";
}

/** Errors by dotted path, in words a user can act on. */
export function validate(schema: JsonSchema, value: JsonObject | null | undefined, root: JsonSchema, prefix = ""): Record<string, string> {
  const errors: Record<string, string> = {};
  const required = new Set(schema.required ?? []);
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const path = prefix ? `${prefix}.${name}` : name;
    const field = resolveField(property, root);
    const current = value?.[name];
    if (isEmpty(current)) {
      if (required.has(name)) errors[path] = "Required.";
      continue;
    }
    const message = checkValue(field, current, root, path, errors);
    if (message) errors[path] = message;
  }
  return errors;
}

function checkValue(field: ResolvedField, value: unknown, root: JsonSchema, path: string, errors: Record<string, string>): string | null {
  const s = field.schema;
  switch (field.kind) {
    case "enum":
      return s.enum!.includes(value) ? null : `Choose one of ${s.enum!.join(", ")}.`;
    case "string": {
      const text = String(value);
      if (s.minLength !== undefined && text.length < s.minLength) return `At least ${s.minLength} characters.`;
      if (s.maxLength !== undefined && text.length > s.maxLength) return `At most ${s.maxLength} characters.`;
      if (s.pattern && !new RegExp(s.pattern, "u").test(text)) return "Contains characters that are not allowed here.";
      return null;
    }
    case "integer":
    case "number": {
      const number = Number(value);
      if (typeof value !== "number" || Number.isNaN(number)) return "Enter a number.";
      if (field.kind === "integer" && !Number.isInteger(number)) return "Enter a whole number.";
      if (s.minimum !== undefined && number < s.minimum) return `At least ${s.minimum}.`;
      if (s.maximum !== undefined && number > s.maximum) return `At most ${s.maximum}.`;
      if (s.exclusiveMinimum !== undefined && number <= s.exclusiveMinimum) return `More than ${s.exclusiveMinimum}.`;
      if (s.exclusiveMaximum !== undefined && number >= s.exclusiveMaximum) return `Less than ${s.exclusiveMaximum}.`;
      return null;
    }
    case "object":
      Object.assign(errors, validate(s, value as JsonObject, root, path));
      return null;
    case "array": {
      const items = value as unknown[];
      if (s.minItems !== undefined && items.length < s.minItems) return `Add at least ${s.minItems}.`;
      if (s.maxItems !== undefined && items.length > s.maxItems) return `At most ${s.maxItems} values.`;
      if (s.items) {
        const item = resolveField(s.items, root);
        for (const entry of items) {
          const problem = isEmpty(entry) ? "Values cannot be empty." : checkValue(item, entry, root, path, errors);
          if (problem) return problem;
        }
      }
      return null;
    }
    default:
      return null;
  }
}

export function getPath(value: JsonObject | null | undefined, path: string): JsonValue | undefined {
  let current: JsonValue | undefined = value ?? undefined;
  for (const part of path.split(".")) {
    if (current === null || typeof current !== "object" || Array.isArray(current)) return undefined;
    current = current[part];
  }
  return current;
}

/** A copy with `path` set; `undefined` removes the key so it is not sent at all. */
export function setPath(value: JsonObject, path: string, next: JsonValue | undefined): JsonObject {
  const [head, ...rest] = path.split(".");
  const copy: JsonObject = { ...value };
  if (rest.length === 0) {
    if (next === undefined) delete copy[head];
    else copy[head] = next;
    return copy;
  }
  const child = copy[head];
  copy[head] = setPath(child && typeof child === "object" && !Array.isArray(child) ? child : {}, rest.join("."), next);
  return copy;
}

/** Secrets that are stored and not being replaced are left out, so PATCH keeps them
 * (sending null would clear them). */
export function withoutKeptSecrets(config: JsonObject, secretFields: string[], replacing: Set<string>): JsonObject {
  let result = config;
  for (const path of secretFields) {
    if (replacing.has(path) || !isEmpty(getPath(result, path))) continue;
    const parent = path.split(".").slice(0, -1).join(".");
    const holder = parent ? getPath(result, parent) : result;
    if (holder && typeof holder === "object" && !Array.isArray(holder)) result = setPath(result, path, undefined);
  }
  return result;
}
