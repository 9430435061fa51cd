import { useState, type PointerEvent, type ReactNode } from "react";

const MIN_WIDTH = 280;
const MAX_SHARE = 0.6;

function storedWidth(key: string, fallback: number): number {
  const value = Number(localStorage.getItem(key));
  return Number.isFinite(value) && value >= MIN_WIDTH ? value : fallback;
}

/** A side panel docked beside the canvas (never over it, unless `overlay`), resized by
 * dragging its inner edge or with the arrow keys on it; the width is remembered per panel. */
export function ResizablePanel({ side, storageKey, defaultWidth, label, testId, overlay, children }: {
  side: "left" | "right";
  /** Floats over the canvas edge instead (a passing look at one node's details). */
  overlay?: boolean;
  storageKey: string;
  defaultWidth: number;
  label: string;
  testId?: string;
  children: ReactNode;
}) {
  const [width, setWidth] = useState(() => storedWidth(storageKey, defaultWidth));
  const resize = (next: number) => {
    const bounded = Math.round(Math.max(MIN_WIDTH, Math.min(next, window.innerWidth * MAX_SHARE)));
    setWidth(bounded);
    localStorage.setItem(storageKey, String(bounded));
  };
  const onPointerDown = (event: PointerEvent<HTMLDivElement>) => {
    event.preventDefault(); // no text selection while dragging
    const startX = event.clientX;
    const startWidth = width;
    const move = (moved: globalThis.PointerEvent) => resize(startWidth + (side === "left" ? moved.clientX - startX : startX - moved.clientX));
    const stop = () => {
      window.removeEventListener("pointermove", move);
      window.removeEventListener("pointerup", stop);
    };
    window.addEventListener("pointermove", move);
    window.addEventListener("pointerup", stop);
  };
  return (
    <aside className={`docked-panel ${side} ${overlay ? "overlay" : ""} card`} style={{ width }} aria-label={label} data-testid={testId}>
      <div
        className="panel-resizer"
        role="separator"
        aria-orientation="vertical"
        aria-label={`Resize ${label.toLowerCase()}`}
        aria-valuenow={width}
        tabIndex={0}
        onPointerDown={onPointerDown}
        onKeyDown={(event) => {
          const step = (event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0) * (side === "left" ? 24 : -24);
          if (step) resize(width + step);
        }}
      />
      {children}
    </aside>
  );
}
