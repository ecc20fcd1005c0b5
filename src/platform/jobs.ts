import PgBoss from "pg-boss";
import type { Logger } from "pino";
import type { Role } from "../config";
import type { Database, DbOrTx } from "./db/client";
import { executeSqlIn } from "./db/client";

/**
 * Background work in PostgreSQL (pg-boss), on PGlite through the same SQL. Modules define their
 * queues and handlers at composition time; the process works them only when it has the `worker`
 * role, and can send from any role. Handlers must be idempotent: a job may run again after a crash.
 */

export interface QueueDefinition<T extends object> {
  name: string;
  /** pg-boss retry policy of the queue. */
  retryLimit?: number;
  retryDelay?: number;
  retryBackoff?: boolean;
  expireInSeconds?: number;
  /** How many jobs of this queue run at once in one process. */
  concurrency?: number;
  pollingIntervalSeconds?: number;
  /**
   * pg-boss queue policy. `stately` keeps at most one job queued (and one running) — what a
   * periodic job wants: runs missed while no worker was up collapse into one.
   */
  policy?: "standard" | "stately";
  /**
   * A cron expression (UTC, minute resolution) to run the job periodically. The schedule is
   * stored in the database by worker processes; pg-boss's clock creates at most one job per tick
   * however many processes run, and any worker takes it.
   */
  cron?: string;
  handler: (data: T, job: { id: string; retryCount: number }) => Promise<void>;
}

export interface SendOptions {
  startAfter?: Date | number;
  singletonKey?: string;
  /** Write the job in this transaction (commits or rolls back with the state change). */
  tx?: DbOrTx;
}

export class JobQueue {
  private readonly boss: PgBoss;
  private readonly definitions = new Map<string, QueueDefinition<object>>();
  private started = false;

  constructor(
    database: Database,
    private readonly roles: Role[],
    private readonly log: Logger,
    /** Housekeeping interval: it is also when jobs of a dead process are found and retried. */
    maintenanceIntervalSeconds = 30,
  ) {
    this.boss = new PgBoss({
      db: { executeSql: database.executeSql },
      schema: "pgboss",
      monitorStateIntervalSeconds: 60,
      maintenanceIntervalSeconds,
    });
    this.boss.on("error", (err) => this.log.error({ err }, "job queue error"));
  }

  define<T extends object>(definition: QueueDefinition<T>): void {
    if (this.started) throw new Error(`queue ${definition.name} defined after start`);
    this.definitions.set(definition.name, definition as unknown as QueueDefinition<object>);
  }

  async start(): Promise<void> {
    await this.boss.start();
    for (const def of this.definitions.values()) {
      await this.boss.createQueue(def.name, {
        name: def.name,
        policy: def.policy ?? "standard",
        retryLimit: def.retryLimit ?? 5,
        retryDelay: def.retryDelay ?? 30,
        retryBackoff: def.retryBackoff ?? true,
        expireInSeconds: def.expireInSeconds ?? 300,
      });
    }
    this.started = true;
    if (!this.roles.includes("worker")) return;
    for (const def of this.definitions.values()) {
      if (def.cron) await this.boss.schedule(def.name, def.cron, {}, { tz: "UTC" });
      for (let i = 0; i < (def.concurrency ?? 1); i++) {
        await this.boss.work<object>(
          def.name,
          { pollingIntervalSeconds: def.pollingIntervalSeconds ?? 2, batchSize: 1, includeMetadata: true },
          async (jobs) => {
            for (const job of jobs) await def.handler(job.data, { id: job.id, retryCount: job.retryCount });
          },
        );
      }
    }
  }

  async send(name: string, data: object, options: SendOptions = {}): Promise<string | null> {
    if (!this.definitions.has(name)) throw new Error(`unknown queue ${name}`);
    const { tx, ...rest } = options;
    return this.boss.send(name, data, { ...rest, ...(tx ? { db: { executeSql: executeSqlIn(tx) } } : {}) });
  }

  /** Installs pg-boss's own tables; used when preparing a database without starting workers. */
  static async install(database: Database): Promise<void> {
    const boss = new PgBoss({
      db: { executeSql: database.executeSql },
      schema: "pgboss",
      supervise: false,
      schedule: false,
    });
    await boss.start();
    await boss.stop({ graceful: false, close: false, wait: true });
  }

  /**
   * Stops fetching jobs and waits for the running ones at most `timeoutMs` (pg-boss waits at least
   * a second); jobs still running then are failed, which makes them retry (after the queue's
   * retryDelay) in whichever worker fetches them.
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    if (!this.started) return;
    this.started = false;
    await this.boss.stop({ graceful: true, close: false, wait: true, timeout: timeoutMs });
  }
}
