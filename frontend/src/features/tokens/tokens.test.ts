import { clientSettings, tokenStatus } from "./tokens";

const NOW = new Date("2026-06-01T12:00:00Z");

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
