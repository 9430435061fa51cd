import { useState } from "react";
import { render, screen } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { SchemaForm } from "./SchemaForm";
import { defaultsFor, rootObject, validate, withoutKeptSecrets, type JsonObject, type JsonSchema } from "./jsonSchema";

// The shape msgspec emits for the built-in postgresql type (trimmed).
const POSTGRES: JsonSchema = {
  $ref: "#/$defs/PostgreSQLConfig",
  $defs: {
    PostgreSQLConfig: {
      type: "object",
      required: ["database"],
      properties: {
        host: { anyOf: [{ type: "string", minLength: 1, pattern: "^[A-Za-z0-9._:%\\-]+$", description: "Host name or IP address." }, { type: "null" }], default: null },
        port: { type: "integer", minimum: 1, maximum: 65535, default: 5432 },
        database: { type: "string", minLength: 1, default: "postgres" },
        password: { anyOf: [{ type: "string" }, { type: "null" }], default: null },
        sslmode: { enum: ["disable", "prefer", "require"], default: "prefer" },
        verify: { type: "boolean", default: true },
        expected_status: { type: "array", items: { type: "integer", minimum: 100, maximum: 599 }, minItems: 1 },
        ssh_tunnel: { anyOf: [{ $ref: "#/$defs/SSHTunnel" }, { type: "null" }], default: null },
      },
    },
    SSHTunnel: {
      type: "object",
      required: ["host"],
      properties: { host: { type: "string", minLength: 1 }, port: { type: "integer", default: 22 }, password: { anyOf: [{ type: "string" }, { type: "null" }], default: null } },
    },
  },
};
const SECRETS = ["password", "ssh_tunnel.password"];

function Harness({ initial, secretsSet = [] }: { initial?: JsonObject; secretsSet?: string[] }) {
  const [value, setValue] = useState<JsonObject>(initial ?? defaultsFor(rootObject(POSTGRES), POSTGRES));
  const [replacing, setReplacing] = useState<Set<string>>(new Set());
  const errors = validate(rootObject(POSTGRES), value, POSTGRES);
  return (
    <>
      <SchemaForm
        schema={POSTGRES}
        value={value}
        onChange={setValue}
        errors={errors}
        secretFields={SECRETS}
        secretsSet={secretsSet}
        replacing={replacing}
        onReplace={(path, on) => setReplacing((current) => { const next = new Set(current); if (on) next.add(path); else next.delete(path); return next; })}
      />
      <output data-testid="value">{JSON.stringify(withoutKeptSecrets(value, SECRETS, replacing))}</output>
    </>
  );
}

const current = () => JSON.parse(screen.getByTestId("value").textContent ?? "{}");

test("renders one control per property, typed from the schema, with defaults filled in", () => {
  render(<Harness />);
  expect(screen.getByRole("textbox", { name: "Host" })).toHaveValue("");
  expect(screen.getByRole("spinbutton", { name: "Port" })).toHaveValue(5432);
  expect(screen.getByRole("combobox", { name: "Sslmode" })).toHaveValue("prefer");
  expect(screen.getByRole("checkbox", { name: "Verify" })).toBeChecked();
  expect(screen.getByLabelText("Password")).toHaveAttribute("type", "password");
  expect(screen.getByText("Host name or IP address.")).toBeInTheDocument();
  expect(current()).toEqual({ port: 5432, database: "postgres", sslmode: "prefer", verify: true });
});

test("validates on the fly once a field is left, and clears the error when fixed", async () => {
  const user = userEvent.setup();
  render(<Harness />);
  const port = screen.getByRole("spinbutton", { name: "Port" });
  await user.clear(port);
  await user.type(port, "70000");
  await user.tab();
  expect(screen.getByRole("alert")).toHaveTextContent("At most 65535.");
  expect(port).toHaveAttribute("aria-invalid", "true");
  await user.clear(port);
  await user.type(port, "6543");
  expect(screen.queryByRole("alert")).not.toBeInTheDocument();
  expect(current().port).toBe(6543);
});

test("an optional nested object is off until enabled, then gets its own fields and defaults", async () => {
  const user = userEvent.setup();
  render(<Harness />);
  expect(screen.queryByRole("group", { name: "Ssh tunnel" })?.querySelector("input[type=text]")).toBeFalsy();
  await user.click(screen.getByRole("checkbox", { name: "Use ssh tunnel" }));
  await user.type(screen.getAllByRole("textbox", { name: /Host/ })[1], "bastion.internal");
  expect(current().ssh_tunnel).toEqual({ port: 22, host: "bastion.internal" });
});

test("arrays of numbers are edited as a list", async () => {
  const user = userEvent.setup();
  render(<Harness />);
  await user.click(screen.getByRole("button", { name: "Add value" }));
  const first = screen.getByRole("spinbutton", { name: "Expected status 1" });
  await user.clear(first);
  await user.type(first, "204");
  expect(current().expected_status).toEqual([204]);
  await user.click(screen.getByRole("button", { name: "Remove Expected status 1" }));
  expect(current().expected_status).toBeUndefined();
});

test("a stored secret shows as set and is not sent unless replaced", async () => {
  const user = userEvent.setup();
  render(<Harness initial={{ host: "db", port: 5432, database: "postgres", password: null }} secretsSet={["password"]} />);
  expect(screen.getByText("set")).toBeInTheDocument();
  expect(document.querySelector("input[type=password]")).toBeNull();
  expect(current()).not.toHaveProperty("password");

  await user.click(screen.getByRole("button", { name: "Replace Password" }));
  await user.type(screen.getByLabelText("Password"), "s3cret");
  expect(current().password).toBe("s3cret");

  await user.click(screen.getByRole("button", { name: "Keep stored" }));
  expect(current()).not.toHaveProperty("password");
});

test("required fields and patterns are checked", () => {
  const schema = rootObject(POSTGRES);
  expect(validate(schema, { database: "" }, POSTGRES)).toEqual({ database: "Required." });
  expect(validate(schema, { database: "x", host: "bad host!" }, POSTGRES)).toEqual({ host: "Contains characters that are not allowed here." });
  expect(validate(schema, { database: "x", ssh_tunnel: { port: 22 } }, POSTGRES)).toEqual({ "ssh_tunnel.host": "Required." });
});
