import { useEffect, useState } from "react";
import { api } from "./api";
import type { ExceptionCounts } from "./api-types";

/**
 * The menu's badges (异常中心, 待审核) across the organizations the user sees: asked on load, every
 * minute, and whenever a page acted on something (`refreshAttention`).
 */
const listeners = new Set<() => void>();

export function refreshAttention(): void {
  for (const l of listeners) l();
}

export function useAttentionCounts(): ExceptionCounts {
  const [counts, setCounts] = useState<ExceptionCounts>({ exceptions: 0, awaitingReview: 0 });
  useEffect(() => {
    let live = true;
    const load = () => {
      api
        .get<ExceptionCounts>("/exceptions/counts")
        .then((c) => live && setCounts(c))
        .catch(() => {});
    };
    load();
    const timer = setInterval(load, 60_000);
    listeners.add(load);
    return () => {
      live = false;
      clearInterval(timer);
      listeners.delete(load);
    };
  }, []);
  return counts;
}
