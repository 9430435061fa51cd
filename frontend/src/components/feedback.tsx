import type { ReactNode } from "react";
import { isRetryable } from "../api/client";

export function Spinner({ label = "Loading" }: { label?: string }) {
  return <span className="spinner" role="status" aria-label={label} />;
}

export function Loading({ children = "Loading…" }: { children?: ReactNode }) {
  return (
    <div className="loading">
      <Spinner />
      <span>{children}</span>
    </div>
  );
}

/** An error in place of the content that failed, with a way to try again when trying
 * again can help (not after a 403 or a rejected request). */
export function ErrorState({ error, onRetry }: { error: Error | null; onRetry?: () => void }) {
  return (
    <div className="alert alert-error" role="alert">
      <div className="alert-body">
        <div className="alert-title">Could not load this</div>
        <p>{error?.message ?? "Unknown error."}</p>
      </div>
      {onRetry && isRetryable(error) && (
        <button className="btn btn-sm" onClick={onRetry}>
          Retry
        </button>
      )}
    </div>
  );
}

const STATUS_CLASS: Record<string, string> = {
  ok: "badge-ok",
  completed: "badge-ok",
  complete: "badge-ok",
  error: "badge-error",
  failed: "badge-error",
  fail: "badge-error",
  aborted: "badge-warn",
  running: "badge-accent",
  start: "badge-accent",
};

/** Health of a node, process run or connection check, in words and colour. */
export function StatusBadge({ status, title }: { status: string | null | undefined; title?: string }) {
  const value = (status ?? "unknown").toLowerCase();
  return (
    <span className={`badge ${STATUS_CLASS[value] ?? ""}`} title={title}>
      {value}
    </span>
  );
}

export function formatTime(value: string | null | undefined): string {
  if (!value) return "never";
  const date = new Date(value);
  return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

export function formatRelative(value: string | null | undefined): string {
  if (!value) return "never";
  const seconds = Math.round((Date.now() - new Date(value).getTime()) / 1000);
  if (seconds < 60) return "just now";
  const units: [number, Intl.RelativeTimeFormatUnit][] = [
    [60, "minute"],
    [3600, "hour"],
    [86400, "day"],
    [30 * 86400, "month"],
    [365 * 86400, "year"],
  ];
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: "auto" });
  let chosen: [number, Intl.RelativeTimeFormatUnit] = units[0];
  for (const unit of units) if (seconds >= unit[0]) chosen = unit;
  return format.format(-Math.round(seconds / chosen[0]), chosen[1]);
}

/** "3 hours ago", with the exact time on hover. */
export function RelativeTime({ value }: { value: string | null | undefined }) {
  return <time dateTime={value ?? undefined} title={value ? formatTime(value) : undefined}>{formatRelative(value)}</time>;
}
