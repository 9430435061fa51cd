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

/** The form fields a server error names: "Invalid field expires_in_days: …" from the token
 * service, "(name: Expected …)" from request validation. */
export function fieldsNamed<Field extends string>(message: string, fields: readonly Field[]): Field[] {
  return fields.filter((field) => new RegExp(`(field |[(;] ?)${field}\\b`).test(message));
}
