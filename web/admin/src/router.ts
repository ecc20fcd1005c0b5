import { useEffect, useState } from "react";
import { confirmLeave, hasUnsavedWork } from "./leave-guard";

/**
 * A small path router for the console (no router package is installed): pages live under /admin/,
 * links push history entries, and every subscriber re-renders on navigation.
 */
const BASE = "/admin";
const listeners = new Set<() => void>();

/** Goes to a console page; a page with unsaved work is asked first (leave-guard.ts). */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  confirmLeave(() => {
    const url = to.startsWith(BASE) ? to : `${BASE}${to}`;
    if (options.replace) history.replaceState(null, "", url);
    else history.pushState(null, "", url);
    shown = location.href;
    for (const l of listeners) l();
  });
}

/** The address the console shows: where a refused back/forward returns to. */
let shown = location.href;

window.addEventListener("popstate", () => {
  if (location.href !== shown && hasUnsavedWork()) {
    // The browser has already moved: put the page's address back, then ask. Leaving goes back
    // (or forward) again to where the user was headed, which is one entry behind the restored one.
    const headedTo = location.href;
    history.pushState(null, "", shown);
    confirmLeave(() => {
      history.back();
      shown = headedTo;
    });
    return;
  }
  shown = location.href;
  for (const l of listeners) l();
});

export interface Location {
  /** The path below /admin, e.g. "/receipt-codes/new". */
  path: string;
  params: URLSearchParams;
}

function current(): Location {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : location.pathname;
  return { path: path.replace(/\/+$/, "") || "/", params: new URLSearchParams(location.search) };
}

export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const update = () =>
      setLoc((was) => {
        const now = current();
        return was.path === now.path && was.params.toString() === now.params.toString() ? was : now;
      });
    listeners.add(update);
    // A navigation between the first render and this subscription (a redirect queued while
    // rendering) would otherwise be missed.
    update();
    return () => {
      listeners.delete(update);
    };
  }, []);
  return loc;
}
