/**
 * Waiting for an invoice after a submit: ask for the receipt's state about every second until it
 * is `invoiced` or `failed`. A slow or offline issuing channel must not leave a spinner forever, so
 * after `timeoutMs` the caller gets the last state back and tells the consumer the invoice is
 * queued. A failed request in between is tolerated (a phone changing networks), a run of them is not.
 */
import type { Receipt } from "./api";

export type PollOutcome =
  | { kind: "settled"; receipt: Receipt }
  | { kind: "timeout"; receipt: Receipt | null }
  | { kind: "error"; error: unknown };

export interface PollOptions {
  intervalMs?: number;
  timeoutMs?: number;
  /** Consecutive failed requests tolerated before giving up. */
  maxErrors?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
  /** Stops early (the page moved on) with a timeout outcome. */
  isCancelled?: () => boolean;
  onProgress?: (receipt: Receipt) => void;
}

export const isSettled = (receipt: Pick<Receipt, "status">) =>
  receipt.status === "invoiced" || receipt.status === "failed";

export async function pollReceipt(
  load: () => Promise<Receipt>,
  options: PollOptions = {},
): Promise<PollOutcome> {
  const intervalMs = options.intervalMs ?? 1000;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const maxErrors = options.maxErrors ?? 5;
  const sleep = options.sleep ?? ((ms) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const now = options.now ?? (() => Date.now());
  const deadline = now() + timeoutMs;
  let last: Receipt | null = null;
  let errors = 0;
  for (;;) {
    if (options.isCancelled?.()) return { kind: "timeout", receipt: last };
    try {
      last = await load();
      errors = 0;
      if (isSettled(last)) return { kind: "settled", receipt: last };
      options.onProgress?.(last);
    } catch (error) {
      errors += 1;
      if (errors >= maxErrors) return { kind: "error", error };
    }
    if (now() + intervalMs > deadline) return { kind: "timeout", receipt: last };
    await sleep(intervalMs);
  }
}
