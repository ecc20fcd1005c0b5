/**
 * Protects typed work: a page with unsaved changes registers a guard, and every way out of it —
 * navigate() (menu, 取消, 返回列表), the browser's back and forward (router.ts), switching the
 * organization (app.tsx) — asks it first. The page owns the question (its own confirm dialog);
 * closing or reloading the tab is the page's beforeunload.
 */
export interface LeaveGuard {
  /** Whether leaving now would lose typed work. */
  dirty(): boolean;
  /** Asks the user; calls `proceed` only if they choose to leave. */
  ask(proceed: () => void): void;
}

let current: LeaveGuard | null = null;

/** Registers the page's guard; the returned function removes it (call it on unmount). */
export function setLeaveGuard(guard: LeaveGuard): () => void {
  current = guard;
  return () => {
    if (current === guard) current = null;
  };
}

/** Runs `proceed` at once, or once the user confirmed leaving a page with unsaved work. */
export function confirmLeave(proceed: () => void): void {
  const guard = current;
  if (!guard?.dirty()) {
    proceed();
    return;
  }
  guard.ask(() => {
    // The page is being left on purpose: it asks no more (its unmount removes the guard).
    if (current === guard) current = null;
    proceed();
  });
}

/** Whether a page has unsaved work (the history listener asks before it lets a back/forward through). */
export function hasUnsavedWork(): boolean {
  return current?.dirty() ?? false;
}
