import { describe, expect, it, vi } from "vitest";
import { QueryClient } from "@tanstack/react-query";
import { applyEvent, parseEvents } from "./liveEvents";

describe("parseEvents", () => {
  it("splits complete events, skips heartbeats and keeps the unfinished rest", () => {
    const stream =
      'event: ready\ndata: {}\nretry: 3000\n\n: heartbeat\n\nevent: node.status\ndata: {"node_id": "n1", "status": "ok"}\n\nevent: node.st';
    const { events, rest } = parseEvents(stream);
    expect(events).toEqual([
      { type: "ready", data: {} },
      { type: "node.status", data: { node_id: "n1", status: "ok" } },
    ]);
    expect(rest).toBe("event: node.st");
  });
});

describe("applyEvent", () => {
  it("invalidates the node list and that node on a status change, everything but stable reads on resync", () => {
    const client = new QueryClient();
    const invalidate = vi.spyOn(client, "invalidateQueries");
    applyEvent(client, { type: "node.status", data: { node_id: "n1" } });
    expect(invalidate.mock.calls.map(([filters]) => filters?.queryKey)).toEqual([["nodes"], ["node", "n1"], ["node-checks", "n1"]]);

    invalidate.mockClear();
    client.setQueryData(["me", "t"], { username: "a" });
    client.setQueryData(["graph", "x"], { nodes: [] });
    applyEvent(client, { type: "resync", data: {} });
    const predicate = invalidate.mock.calls[0][0]!.predicate!;
    const keys = client.getQueryCache().getAll().filter(predicate).map((query) => query.queryKey[0]);
    expect(keys).toEqual(["graph"]);
  });

  it("refreshes the Runs tab, the run's detail and the alert badges when a run moves, and versions when lineage changes", () => {
    const client = new QueryClient();
    const invalidate = vi.spyOn(client, "invalidateQueries");
    applyEvent(client, { type: "run.state", data: { process_id: "p1", run_id: "r1", state: "FAIL" } });
    const onRun = invalidate.mock.calls.map(([filters]) => filters?.queryKey);
    expect(onRun).toEqual(expect.arrayContaining([["runs"], ["run"], ["alerts", "open"], ["graph"]]));
    invalidate.mockClear();
    applyEvent(client, { type: "lineage.changed", data: {} });
    const onLineage = invalidate.mock.calls.map(([filters]) => filters?.queryKey);
    expect(onLineage).toEqual(expect.arrayContaining([["versions"], ["version-diff"], ["graph"]]));
  });
});
