import { clientSettings, fieldsNamed, tokenStatus } from "./tokens";

const NOW = new Date("2026-06-01T12:00:00Z");
const FIELDS = ["name", "role", "expires_in_days"] as const;

describe("tokenStatus", () => {
  it("calls a token without revocation or past expiry active", () => {
    expect(tokenStatus({ revoked_at: null, expires_at: null }, NOW)).toBe("active");
    expect(tokenStatus({ revoked_at: null, expires_at: "2026-06-02T00:00:00Z" }, NOW)).toBe("active");
  });

  it("calls a token expired from the moment its expiry passes", () => {
    expect(tokenStatus({ revoked_at: null, expires_at: "2026-06-01T12:00:00Z" }, NOW)).toBe("expired");
    expect(tokenStatus({ revoked_at: null, expires_at: "2026-05-01T00:00:00Z" }, NOW)).toBe("expired");
  });

  it("calls a revoked token revoked even when it has also expired", () => {
    expect(tokenStatus({ revoked_at: "2026-05-02T00:00:00Z", expires_at: "2026-05-01T00:00:00Z" }, NOW)).toBe("revoked");
  });
});

describe("clientSettings", () => {
  it("gives the two OpenLineage variables, one per line", () => {
    expect(clientSettings("https://dlv.example.com", "dlv_abc")).toBe("OPENLINEAGE_URL=https://dlv.example.com\nOPENLINEAGE_API_KEY=dlv_abc");
  });
});

describe("fieldsNamed", () => {
  it("finds the field the token service names", () => {
    const message = "Invalid field expires_in_days: 0 is out of range; send a whole number of days from 1 to 3650, or leave it out.";
    expect(fieldsNamed(message, FIELDS)).toEqual(["expires_in_days"]);
  });

  it("finds the fields request validation names", () => {
    const message = "The request has invalid fields (name: Expected `str` of length >= 1; role: Expected `'admin' | 'viewer' | 'ingest'`). Fix them.";
    expect(fieldsNamed(message, FIELDS)).toEqual(["name", "role"]);
  });

  it("does not blame a field for a word in the prose", () => {
    expect(fieldsNamed("An item with the same unique key already exists: choose another name or update it instead.", FIELDS)).toEqual([]);
  });
});
