import { useEffect } from "react";
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { signalUnauthorized } from "../auth/session";
import { dashboardKeys } from "../features/dashboards/api";
import { lineageKeys } from "../features/lineage/api";
import { nodeKeys } from "../features/nodes/api";

/** One Server-Sent Event: its type (`event:`) and its decoded JSON data. */
export interface LiveEvent {
  type: string;
  data: Record<string, unknown>;
}

/** Splits an SSE text stream into events; returns the events complete so far and the rest. */
export function parseEvents(buffer: string): { events: LiveEvent[]; rest: string } {
  const events: LiveEvent[] = [];
  const blocks = buffer.replace(/\r\n?/g, "\n").split("\n\n");
  const rest = blocks.pop() ?? "";
  for (const block of blocks) {
    let type = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue; // heartbeat comment
      const [field, ...value] = line.split(":");
      const text = value.join(":").replace(/^ /, "");
      if (field === "event") type = text;
      else if (field === "data") data.push(text);
    }
    if (!data.length) continue;
    try {
      events.push({ type, data: JSON.parse(data.join("\n")) });
    } catch {
      // Not JSON: not one of DLV's events; ignore it.
    }
  }
  return { events, rest };
}

// Cached reads that do not depend on what the events report.
const STABLE = new Set(["me", nodeKeys.types[0]]);
const OPEN_ALERTS = ["alerts", "open"] as const;

/** Marks stale what an event says changed, so open screens refetch it. */
export function applyEvent(client: QueryClient, event: LiveEvent): void {
  const id = typeof event.data.node_id === "string" ? event.data.node_id : null;
  switch (event.type) {
    case "node.status":
      void client.invalidateQueries({ queryKey: nodeKeys.lists });
      if (id) {
        void client.invalidateQueries({ queryKey: nodeKeys.detail(id) });
        void client.invalidateQueries({ queryKey: nodeKeys.checks(id) });
      }
      break;
    case "run.state":
      // A run moved: the graph's health, the Runs tab and the run's detail, open-alert badges.
      for (const queryKey of [lineageKeys.graphs, lineageKeys.entities, lineageKeys.runsAll, lineageKeys.runAll, OPEN_ALERTS])
        void client.invalidateQueries({ queryKey });
      break;
    case "lineage.changed":
      // What a run wrote may be a new dataset version too.
      for (const queryKey of [lineageKeys.graphs, lineageKeys.impacts, lineageKeys.entities, lineageKeys.searches, lineageKeys.pathsAll, lineageKeys.fieldTraces,
        lineageKeys.versionsAll, lineageKeys.versionDiffs, dashboardKeys.lists, dashboardKeys.details])
        void client.invalidateQueries({ queryKey });
      if (id) void client.invalidateQueries({ queryKey: nodeKeys.checks(id) });
      break;
    case "resync":
      void client.invalidateQueries({ predicate: (query) => !STABLE.has(String(query.queryKey[0])) });
      break;
  }
}

const RETRY_MS = [1000, 3000, 10000, 30000];

/** Follows `GET /api/events` while logged in. EventSource cannot send the Authorization
 * header, so this reads the stream with fetch; it reconnects with backoff, and on reconnect
 * refreshes everything (events may have been missed while away). */
export function useLiveEvents(token: string | null): void {
  const client = useQueryClient();
  useEffect(() => {
    if (!token) return;
    const abort = new AbortController();
    let failures = 0;

    async function follow(): Promise<void> {
      while (!abort.signal.aborted) {
        try {
          const response = await globalThis.fetch("/api/events", {
            headers: { Authorization: `Bearer ${token}`, Accept: "text/event-stream" },
            signal: abort.signal,
          });
          if (response.status === 401) {
            signalUnauthorized();
            return;
          }
          if (!response.ok || !response.body) throw new Error(`events: ${response.status}`);
          const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
          let buffer = "";
          for (;;) {
            const { value, done } = await reader.read();
            if (done) break;
            const parsed = parseEvents(buffer + value);
            buffer = parsed.rest;
            for (const event of parsed.events) {
              if (event.type === "ready") {
                if (failures > 0) applyEvent(client, { type: "resync", data: {} });
                failures = 0;
              } else applyEvent(client, event);
            }
          }
        } catch {
          if (abort.signal.aborted) return;
        }
        failures += 1;
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS[Math.min(failures, RETRY_MS.length) - 1]));
      }
    }

    void follow();
    return () => abort.abort();
  }, [client, token]);
}
