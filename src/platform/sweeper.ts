import type { Logger } from "pino";
import type { Config } from "../config";
import type { Database } from "./db/client";

/**
 * A table as its own durable queue. Rows that still need work carry a due time; a sweep claims due
 * rows by pushing that time forward (a lease, in one UPDATE … FOR UPDATE SKIP LOCKED, so several
 * processes never claim the same row at once) and works them here. A row whose work succeeds
 * leaves the sweep's condition; one whose work fails, or whose process dies, is due again when its
 * lease ends. The fast path does the same work in-process right after the commit, so on a healthy
 * system a sweep finds nothing and costs one indexed query per interval.
 */
export interface SweepDefinition {
  name: string;
  /**
   * Claims up to `limit` due rows (and pushes their due time forward); returns their ids. A claim
   * made by `claimDue` also knows how to give rows back (`release`): at shutdown, rows claimed but
   * not finished by the deadline are made due at once, so another process takes them without
   * waiting for the lease to end.
   */
  claim: Claim;
  /** Works one claimed row. Throwing logs the error; the row is tried again when due. */
  handle(id: string): Promise<void>;
  /** How many rows are worked at once in one process. */
  concurrency: number;
  /** Pause between sweeps that found less than a full batch. */
  intervalSeconds: number;
  /** Logged at warn instead of error (an expected outage, such as an unreachable channel). */
  isExpected?: (e: unknown) => boolean;
}

export type Claim = ((limit: number) => Promise<string[]>) & {
  release?: (ids: string[]) => Promise<void>;
};

export class Sweeper {
  private readonly definitions: SweepDefinition[] = [];
  private running = false;
  private readonly loops: Promise<void>[] = [];
  private readonly waiting = new Set<() => void>();
  /** Rows claimed by this process and not yet worked, per sweep. */
  private readonly working = new Map<SweepDefinition, Set<string>>();

  constructor(
    private readonly log: Logger,
    /** Told of each sweep run (its rows, or its error): the metrics. */
    private readonly observe?: (sweep: string, result: { rows: number } | { error: unknown }) => void,
  ) {}

  define(definition: SweepDefinition): void {
    this.definitions.push(definition);
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    for (const def of this.definitions) this.loops.push(this.loop(def));
  }

  /**
   * Stops claiming and waits for the rows being worked, at most `deadlineMs`. Rows still unfinished
   * then are released (due now) for other processes; returns how many.
   */
  async stop(deadlineMs = Number.POSITIVE_INFINITY): Promise<number> {
    this.running = false;
    for (const wake of [...this.waiting]) wake();
    const loops = Promise.all(this.loops.splice(0)).then(() => true);
    let timer: NodeJS.Timeout | undefined;
    const finished = Number.isFinite(deadlineMs)
      ? await Promise.race([
          loops,
          new Promise<false>((resolve) => {
            timer = setTimeout(() => resolve(false), deadlineMs);
          }),
        ])
      : await loops;
    clearTimeout(timer);
    if (finished) return 0;
    let released = 0;
    for (const [def, ids] of this.working) {
      if (ids.size === 0 || !def.claim.release) continue;
      const list = [...ids];
      try {
        await def.claim.release(list);
        released += list.length;
        this.log.warn({ sweep: def.name, ids: list }, "shutdown deadline: unfinished rows released");
      } catch (err) {
        this.log.error(
          { err, sweep: def.name },
          "shutdown: could not release rows (they wait for their lease)",
        );
      }
    }
    return released;
  }

  /** One sweep of a definition, by hand (tests and the CLI): returns how many rows it worked. */
  async sweepOnce(name: string): Promise<number> {
    const def = this.definitions.find((d) => d.name === name);
    if (!def) throw new Error(`unknown sweep ${name}`);
    return this.sweep(def);
  }

  private async loop(def: SweepDefinition): Promise<void> {
    while (this.running) {
      let worked = 0;
      try {
        worked = await this.sweep(def);
      } catch (err) {
        this.log.error({ err, sweep: def.name }, "sweep failed");
      }
      // A full batch: there may be more due right now.
      if (worked >= def.concurrency || !this.running) continue;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiting.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, def.intervalSeconds * 1000);
        this.waiting.add(wake);
      });
    }
  }

  private async sweep(def: SweepDefinition): Promise<number> {
    let ids: string[];
    try {
      ids = await def.claim(def.concurrency);
    } catch (error) {
      this.observe?.(def.name, { error });
      throw error;
    }
    this.observe?.(def.name, { rows: ids.length });
    const working = this.working.get(def) ?? new Set<string>();
    this.working.set(def, working);
    for (const id of ids) working.add(id);
    await Promise.all(
      ids.map(async (id) => {
        try {
          await def.handle(id);
        } catch (err) {
          const level = def.isExpected?.(err) ? "warn" : "error";
          this.log[level]({ err, sweep: def.name, id }, "sweep: work deferred to the next attempt");
        } finally {
          working.delete(id);
        }
      }),
    );
    return ids.length;
  }
}

/**
 * The claim of a table swept through its `next_attempt_at` column: up to `limit` rows that are
 * `unfinished` and due, each pushed `leaseSeconds()` ahead in the same statement (SKIP LOCKED, so
 * concurrent sweeps take different rows). `table` and `unfinished` are SQL written in the code,
 * never input.
 */
export function claimDue(
  database: Pick<Database, "executeSql">,
  options: { table: string; unfinished: string; leaseSeconds: () => number },
): Claim {
  const text = `
update ${options.table} set next_attempt_at = now() + make_interval(secs => $2)
where id in (
  select id from ${options.table}
  where ${options.unfinished} and next_attempt_at <= now()
  order by next_attempt_at
  limit $1
  for update skip locked)
returning id`;
  const claim: Claim = async (limit) => {
    const { rows } = await database.executeSql(text, [limit, options.leaseSeconds()]);
    return (rows as Array<{ id: string }>).map((r) => r.id);
  };
  // Gives claimed rows back: due now, if they are still unfinished.
  const release = `update ${options.table} set next_attempt_at = now()
where id = any($1::text[]) and ${options.unfinished}`;
  claim.release = async (ids) => {
    await database.executeSql(release, [ids]);
  };
  return claim;
}

/**
 * When a sweep should first look at a row created now: after `issueBackstopSeconds`, so the
 * in-process attempt right after the commit has had its chance.
 */
export function firstSweepAt(config: Pick<Config, "tuning">): Date {
  return new Date(Date.now() + config.tuning.issueBackstopSeconds * 1000);
}
