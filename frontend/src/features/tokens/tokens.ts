// What the tokens page works out from the API's answers, kept apart so it can be tested alone.
import type { TokenRead } from "./api";

export type TokenStatus = "active" | "expired" | "revoked";

/** Revoked wins over expired: revoking is what an admin did, expiry only what the clock did. */
export function tokenStatus(token: Pick<TokenRead, "revoked_at" | "expires_at">, now: Date = new Date()): TokenStatus {
  if (token.revoked_at) return "revoked";
  if (token.expires_at && new Date(token.expires_at).getTime() <= now.getTime()) return "expired";
  return "active";
}

/** The two variables every OpenLineage client (Spark, Airflow's provider, dbt…) reads. */
export function clientSettings(origin: string, value: string): string {
  return `OPENLINEAGE_URL=${origin}\nOPENLINEAGE_API_KEY=${value}`;
}
