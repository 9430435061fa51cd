import { useSyncExternalStore } from "react";

interface AlertItem {
  id: number;
  message: string;
  retry?: () => void;
}

// A tiny store outside React so the query cache (which lives outside components) can raise
// alerts; the <GlobalAlerts> region renders them.
let alerts: AlertItem[] = [];
let nextId = 1;
const listeners = new Set<() => void>();
const emit = () => listeners.forEach((listener) => listener());

export function reportError(message: string, retry?: () => void): void {
  // The same failure repeated (e.g. several queries down together) shows once.
  alerts = [...alerts.filter((item) => item.message !== message), { id: nextId++, message, retry }].slice(-4);
  emit();
}

export function dismissAlert(id: number): void {
  alerts = alerts.filter((item) => item.id !== id);
  emit();
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function GlobalAlerts() {
  const items = useSyncExternalStore(subscribe, () => alerts);
  return (
    <div className="alerts" role="region" aria-label="Notifications" aria-live="assertive">
      {items.map((item) => (
        <div key={item.id} className="alert alert-error" role="alert">
          <div className="alert-body">
            <div className="alert-title">Something went wrong</div>
            <p>{item.message}</p>
          </div>
          <div className="actions">
            {item.retry && (
              <button
                className="btn btn-sm"
                onClick={() => {
                  dismissAlert(item.id);
                  item.retry?.();
                }}
              >
                Retry
              </button>
            )}
            <button className="btn btn-sm btn-ghost" aria-label="Dismiss" onClick={() => dismissAlert(item.id)}>
              ✕
            </button>
          </div>
        </div>
      ))}
    </div>
  );
}
