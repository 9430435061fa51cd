// Regenerates the typed API client's types from the app's own OpenAPI document, so the UI
// never carries hand-copied shapes. Runs `dlv openapi` without a server (a throwaway data
// dir keeps it from touching ./.dlv), then openapi-typescript.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

const dlv = process.env.DLV_BIN ?? resolve("../.venv/bin/dlv");
const scratch = mkdtempSync(join(tmpdir(), "dlv-openapi-"));
try {
  execFileSync(dlv, ["openapi", "-o", "src/api/openapi.json"], {
    stdio: "inherit",
    env: { ...process.env, DLV_DATA_DIR: scratch, DLV_DATABASE_URL: "" },
  });
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
execFileSync("npx", ["openapi-typescript", "src/api/openapi.json", "-o", "src/api/schema.d.ts"], { stdio: "inherit" });
