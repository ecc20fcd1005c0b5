/**
 * Work a request started and no longer waits for (a submit answers `issuing` after a few seconds
 * while the channel call goes on). At shutdown the process waits for it up to the deadline; what is
 * still running then is released (its rows made due at once) so another process's sweep takes it
 * without waiting for the backstop.
 */
interface Running {
  done: Promise<unknown>;
  release: () => Promise<void>;
}

/** One app's background work (in its AppContext): two apps in one process never drain each other's. */
export class BackgroundWork {
  private readonly running = new Set<Running>();

  track(work: Promise<unknown>, release: () => Promise<void>): void {
    const entry: Running = { done: work.catch(() => {}), release };
    this.running.add(entry);
    void entry.done.finally(() => this.running.delete(entry));
  }

  /** Resolves when the work tracked now (and any tracked meanwhile) has ended; tests wait on it. */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running].map((r) => r.done));
  }

  /** Waits for tracked work at most `deadlineMs`; releases what is left. Returns how much was left. */
  async drain(deadlineMs: number): Promise<number> {
    if (this.running.size === 0) return 0;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.all([...this.running].map((r) => r.done)),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, Math.max(0, deadlineMs));
      }),
    ]);
    clearTimeout(timer);
    const left = [...this.running];
    for (const entry of left) await entry.release().catch(() => {});
    return left.length;
  }
}
