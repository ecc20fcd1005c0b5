import type { Logger } from "pino";
import type { Database } from "../../platform/db/client";
import { runStatement } from "../../platform/db/records";
import { EXISTING_CODES, WRITE_SCAN_COUNTS } from "./scan.queries";

/** A code's scans not written yet: how many, and when the first of them was. */
interface Pending {
  scans: number;
  firstAt: Date;
}

/** Codes written per statement at most; a flush writes as many statements as it needs. */
export const SCAN_COUNT_BATCH = 500;

/**
 * The scans (first loads) of this process, counted in memory and written together: every
 * `delayMs` one statement adds each code's scans to `scan_count` and sets `first_scanned_at` if it
 * was not (WRITE_SCAN_COUNTS). A scan then costs the consumer's request a map entry instead of a
 * write of its own (issue 23: the write was most of a first load's database time).
 *
 * What that changes (ARCHITECTURE.md "Choices"): a count reaches the console and the statistics up to
 * `delayMs` after the scan; a process killed without its shutdown (SIGKILL, a power cut) loses the
 * scans of its last `delayMs` — a shutdown (SIGTERM) writes them first. A code whose row another
 * transaction holds locked (a submit, a refund) keeps its scans for the next write rather than wait,
 * so writing never blocks on, nor deadlocks with, the consumer's own work. A write that fails keeps
 * its scans too, retried at the next interval.
 */
export class ScanCounts {
  private pending = new Map<string, Pending>();
  private timer: NodeJS.Timeout | undefined;
  private writing: Promise<void> | undefined;
  private closed = false;

  constructor(
    private readonly database: Pick<Database, "prepared">,
    private readonly options: { delayMs: number; log?: Pick<Logger, "warn" | "error"> },
  ) {}

  /** One scan of the code (its id), now. */
  add(codeId: string, at: Date = new Date()): void {
    if (this.closed) {
      // A request that outlived the shutdown's deadline: the database is closing.
      this.options.log?.warn({ codeId }, "scan counted after shutdown; not written");
      return;
    }
    this.keep(codeId, 1, at);
    this.schedule();
  }

  /** Scans counted and not written yet, over all codes (metrics, tests). */
  get unwritten(): number {
    let n = 0;
    for (const entry of this.pending.values()) n += entry.scans;
    return n;
  }

  /**
   * Writes what is counted now (and waits for a write already running). Resolves when it is
   * written, or kept for later because the write failed or the row was locked.
   */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    while (this.writing) await this.writing;
    // Every code counted now, a batch per statement; what a batch keeps (a locked row, a failed
    // write) waits for the next interval rather than being asked again at once.
    for (let batches = Math.ceil(this.pending.size / SCAN_COUNT_BATCH); batches > 0; batches--) {
      this.writing = this.write().finally(() => {
        this.writing = undefined;
      });
      await this.writing;
    }
    this.schedule();
  }

  /**
   * At shutdown, after the last request: writes everything, asking again for rows that were locked
   * until `deadlineMs` has passed. Returns the scans it could not write (logged).
   */
  async close(deadlineMs = 5000): Promise<number> {
    this.closed = true;
    const deadline = Date.now() + deadlineMs;
    await this.flush();
    while (this.pending.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      await this.flush();
    }
    const lost = this.unwritten;
    if (lost > 0) this.options.log?.error({ scans: lost }, "scan counts not written at shutdown");
    return lost;
  }

  private schedule(): void {
    if (this.timer || this.pending.size === 0 || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.flush();
    }, this.options.delayMs);
    // A process with nothing else to do is not kept alive by its counts (close() writes them).
    this.timer.unref();
  }

  private async write(): Promise<void> {
    // The codes in a fixed order (their ids), a batch at a time.
    const ids = [...this.pending.keys()].sort().slice(0, SCAN_COUNT_BATCH);
    const batch = ids.map((id) => {
      const entry = this.pending.get(id) as Pending;
      this.pending.delete(id);
      return { id, scans: entry.scans, at: entry.firstAt.toISOString() };
    });
    let left: string[];
    let failed = false;
    try {
      const rows = await runStatement(this.database, WRITE_SCAN_COUNTS, [JSON.stringify(batch)]);
      const written = new Set(rows.map((r) => r.id));
      left = ids.filter((id) => !written.has(id));
    } catch (e) {
      this.options.log?.warn(
        { err: e, codes: batch.length },
        "scan counts not written; kept for the next write",
      );
      left = ids;
      failed = true;
    }
    // Not written because another transaction held the row: kept. A code deleted meanwhile: dropped.
    if (left.length > 0 && !failed) {
      try {
        left = (await runStatement(this.database, EXISTING_CODES, [left])).map((r) => r.id);
      } catch {
        // Kept all: asked again at the next write.
      }
    }
    const kept = new Set(left);
    for (const b of batch) if (kept.has(b.id)) this.keep(b.id, b.scans, new Date(b.at));
  }

  /** Adds scans of a code to what is pending (a new scan, or a batch's scans not written). */
  private keep(id: string, scans: number, firstAt: Date): void {
    const entry = this.pending.get(id);
    if (!entry) this.pending.set(id, { scans, firstAt });
    else {
      entry.scans += scans;
      if (firstAt < entry.firstAt) entry.firstAt = firstAt;
    }
  }
}
