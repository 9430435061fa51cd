import { useEffect, useRef } from "react";
import type { TestReport } from "../../api/types";
import { StatusBadge } from "../../components/feedback";

export function formatLatency(ms: number | null | undefined): string {
  return ms === null || ms === undefined ? "—" : ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

/** The step-by-step answer of a connection test: which step failed and why. */
export function TestReportView({ report }: { report: TestReport }) {
  const ref = useRef<HTMLElement>(null);
  // The report lands below a long form: bring it into view (no-op in jsdom).
  useEffect(() => {
    // A block body: newer Chromium returns a Promise here, which React would take for a cleanup.
    void ref.current?.scrollIntoView?.({ block: "nearest" });
  }, [report]);
  return (
    <section ref={ref} className={`test-report ${report.status}`} aria-label="Connection test result" data-testid="test-report" role="status">
      <div className="row">
        <StatusBadge status={report.status} />
        <strong className="spacer">{report.message}</strong>
        <span className="subtle">{formatLatency(report.latency_ms)}</span>
      </div>
      {(report.steps ?? []).length > 0 && (
        <ol className="steps">
          {(report.steps ?? []).map((step, index) => (
            <li key={index} className={step.passed ? "passed" : "failed"} data-testid="test-step">
              <span aria-hidden="true" className="step-icon">{step.passed ? "✓" : "✕"}</span>
              <span className="visually-hidden">{step.passed ? "passed" : "failed"}:</span>
              <span className="step-name">{step.name}</span>
              {step.message && <span className="subtle step-message">{step.message}</span>}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
