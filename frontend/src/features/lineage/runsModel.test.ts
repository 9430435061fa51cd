import { describe, expect, it } from "vitest";
import { defaultDiffPair, durationBars, formatBytes, formatDuration, shortVersion } from "./runsModel";

const runs = [
  { run_id: "c", state: "RUNNING", duration_ms: null, started_at: "2026-01-03T00:00:00Z" },
  { run_id: "b", state: "FAIL", duration_ms: 500 },
  { run_id: "a", state: "COMPLETE", duration_ms: 2000 },
];

describe("durationBars", () => {
  it("draws the oldest run on the left, scaled to the longest, coloured by state", () => {
    const bars = durationBars(runs, 100, 40);
    expect(bars.map((bar) => bar.runId)).toEqual(["a", "b", "c"]);
    expect(bars.map((bar) => bar.state)).toEqual(["complete", "fail", "running"]);
    expect(bars[0].height).toBe(40);
    expect(bars[1].height).toBe(10);
    expect(bars[1].y).toBe(30);
    expect(bars[2].height).toBe(2); // still running: a stub, not nothing
    expect(bars[2].title).toContain("no duration");
    expect(bars[2].x + bars[2].width).toBeCloseTo(100);
  });

  it("draws nothing for no runs", () => {
    expect(durationBars([], 100, 40)).toEqual([]);
  });
});

describe("formatting", () => {
  it("says durations and sizes in units people read", () => {
    expect(formatDuration(850)).toBe("850 ms");
    expect(formatDuration(12_340)).toBe("12.3 s");
    expect(formatDuration(245_000)).toBe("4 min 05 s");
    expect(formatDuration(7_380_000)).toBe("2 h 03 min");
    expect(formatDuration(null)).toBe("—");
    expect(formatBytes(532)).toBe("532 B");
    expect(formatBytes(1_234_000)).toBe("1.2 MB");
    expect(shortVersion("sha256:9a66b0c1d2e3f4a5b6")).toBe("9a66b0c1d2");
    expect(shortVersion("2024-06-01.1")).toBe("2024-06-01.1");
  });

  it("diffs the second newest version against the newest by default", () => {
    expect(defaultDiffPair([{ run_id: "new" }, { run_id: "old" }])).toEqual({ from: "old", to: "new" });
    expect(defaultDiffPair([{ run_id: "only" }])).toEqual({ from: null, to: "only" });
  });
});
