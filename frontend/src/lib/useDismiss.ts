import { useEffect, type RefObject } from "react";

/** Closes a popover when Escape is pressed or the pointer goes down outside ``anchor``
 * (the element holding both its button and the popover). */
export function useDismiss(open: boolean, close: () => void, anchor: RefObject<HTMLElement | null>) {
  useEffect(() => {
    if (!open) return;
    const onKey = (event: KeyboardEvent) => {
      if (event.key === "Escape") close();
    };
    const onPointer = (event: PointerEvent) => {
      if (anchor.current && !anchor.current.contains(event.target as Node)) close();
    };
    document.addEventListener("keydown", onKey);
    document.addEventListener("pointerdown", onPointer);
    return () => {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("pointerdown", onPointer);
    };
  }, [open, close, anchor]);
}
