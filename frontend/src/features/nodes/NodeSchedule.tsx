/** Check and discovery intervals, edited in minutes (stored in seconds); empty: manual only. */
export interface Schedule {
  check: string;
  discovery: string;
}

const MAX_MINUTES = 7 * 24 * 60;

export function scheduleFromNode(node: { check_interval_seconds: number | null; discovery_interval_seconds: number | null } | undefined): Schedule {
  const minutes = (seconds: number | null | undefined) => (seconds ? String(+(seconds / 60).toFixed(2)) : "");
  return { check: minutes(node?.check_interval_seconds), discovery: minutes(node?.discovery_interval_seconds) };
}

/** Seconds for the API, or an error naming the field. */
export function scheduleSeconds(value: string, label: string): { seconds: number | null; error?: string } {
  if (!value.trim()) return { seconds: null };
  const minutes = Number(value);
  if (!Number.isFinite(minutes) || minutes * 60 < 1 || minutes > MAX_MINUTES)
    return { seconds: null, error: `${label}: send a number of minutes between 0.02 and ${MAX_MINUTES} (a week), or leave it empty for manual only.` };
  return { seconds: Math.round(minutes * 60) };
}

export function ScheduleFields({ value, onChange, errors }: { value: Schedule; onChange: (value: Schedule) => void; errors: { check?: string; discovery?: string } }) {
  return (
    <fieldset className="group">
      <legend>Schedule</legend>
      <div className="form-grid">
        <div className="field">
          <label htmlFor="check-interval">Check every (minutes)</label>
          <input id="check-interval" className="input" inputMode="decimal" placeholder="manual only" aria-invalid={Boolean(errors.check)} value={value.check} onChange={(event) => onChange({ ...value, check: event.target.value })} />
          {errors.check ? <span className="error-text">{errors.check}</span> : <span className="hint">Health check of the connection; empty: only when you test it.</span>}
        </div>
        <div className="field">
          <label htmlFor="discovery-interval">Discover every (minutes)</label>
          <input id="discovery-interval" className="input" inputMode="decimal" placeholder="manual only" aria-invalid={Boolean(errors.discovery)} value={value.discovery} onChange={(event) => onChange({ ...value, discovery: event.target.value })} />
          {errors.discovery ? <span className="error-text">{errors.discovery}</span> : <span className="hint">Reads tables, views and view lineage; for types that can discover.</span>}
        </div>
      </div>
    </fieldset>
  );
}
