/** Pure helpers for the Runs and Versions tabs (kept apart from React for the unit tests). */

export interface DurationBar {
  runId: string;
  state: string;
  x: number;
  y: number;
  width: number;
  height: number;
  title: string;
}

interface RunLike {
  run_id: string;
  state: string;
  duration_ms?: number | null;
  started_at?: string | null;
}

/** Bars for a newest-first page of runs, drawn oldest on the left; a run without a duration
 * (still running, or never started) gets a stub bar so its state still shows. */
export function durationBars(runs: RunLike[], width: number, height: number, gap = 2): DurationBar[] {
  if (!runs.length) return [];
  const longest = Math.max(1, ...runs.map((run) => run.duration_ms ?? 0));
  const barWidth = Math.max(2, (width - gap * (runs.length - 1)) / runs.length);
  return [...runs].reverse().map((run, index) => {
    const known = run.duration_ms ?? null;
    const barHeight = known === null ? 2 : Math.max(2, (known / longest) * height);
    return {
      runId: run.run_id,
      state: run.state.toLowerCase(),
      x: index * (barWidth + gap),
      y: height - barHeight,
      width: barWidth,
      height: barHeight,
      title: `${run.state} · ${known === null ? "no duration" : formatDuration(known)}${run.started_at ? ` · ${run.started_at}` : ""}`,
    };
  });
}

/** 850 ms, 12.3 s, 4 min 05 s, 2 h 03 min. */
export function formatDuration(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "—";
  if (ms < 1000) return `${ms} ms`;
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${String(Math.floor(seconds % 60)).padStart(2, "0")} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, "0")} min`;
}

/** 1.2 MB, 532 B: byte counts of a dataset version. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return "—";
  const units = ["B", "kB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${unit ? value.toFixed(1) : value} ${units[unit]}`;
}

/** The pair a schema diff starts with: the second newest against the newest version. */
export function defaultDiffPair(versions: { run_id: string }[]): { from: string | null; to: string | null } {
  return { from: versions[1]?.run_id ?? null, to: versions[0]?.run_id ?? null };
}

/** A version as people compare them: a hash without its algorithm, cut to 10 characters;
 * a datasetVersion the producer chose (a date, a number) as it is. */
export function shortVersion(version: string): string {
  const hash = /^sha256:([0-9a-f]+)$/.exec(version);
  return hash ? hash[1].slice(0, 10) : version.length > 24 ? `${version.slice(0, 23)}…` : version;
}
