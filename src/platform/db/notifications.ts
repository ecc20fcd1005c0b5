import pg from "pg";
import type { Logger } from "pino";
import type { Database } from "./client";

/** What a listener tells its owner. */
export interface ListenHandlers {
  /** A NOTIFY on the channel, with its payload. */
  message(payload: string): void;
  /** Listening (again): notifications from now on arrive. Anything learnt before may be stale. */
  up(): void;
  /** No longer listening (the connection broke): notifications may be missed until `up`. */
  down(): void;
}

export interface Listener {
  /** Stops listening and closes its connection. */
  close(): Promise<void>;
}

/** Waits before listening again after a lost connection: 0.5 s, doubling, at most 30 s. */
const RETRY_FIRST_MS = 500;
const RETRY_MAX_MS = 30_000;
/** The listening connection is asked `select 1` this often, and lost if it does not answer in time. */
const HEALTH_CHECK_MS = 15_000;
const HEALTH_TIMEOUT_MS = 5_000;

/**
 * LISTEN on one channel for as long as the process runs (PostgreSQL's NOTIFY, delivered after the
 * notifying transaction commits). On PostgreSQL it holds a connection of its own, outside the pool,
 * and opens it again after it breaks (`down`, then `up` once listening); on PGlite the database is
 * this process's, so notifications come from its own writes.
 */
export function listen(
  database: Database,
  channel: string,
  handlers: ListenHandlers,
  log?: Pick<Logger, "warn">,
  health: { everyMs: number; timeoutMs: number } = { everyMs: HEALTH_CHECK_MS, timeoutMs: HEALTH_TIMEOUT_MS },
): Listener {
  if (!/^[a-z_][a-z0-9_]*$/.test(channel)) throw new Error(`not a plain channel name: ${channel}`);
  if (database.kind === "pglite") {
    let closed = false;
    const stop = database.client.listen(channel, handlers.message).then(
      (unlisten) => {
        if (closed) return void unlisten().catch(() => {});
        handlers.up();
        return unlisten;
      },
      (error) => {
        // Not listening: the owner keeps nothing it would have to be told about.
        log?.warn({ err: error, channel }, "database notifications unavailable");
        return undefined;
      },
    );
    return {
      close: async () => {
        closed = true;
        handlers.down();
        const unlisten = await stop;
        await unlisten?.().catch(() => {});
      },
    };
  }

  let closed = false;
  let client: pg.Client | undefined;
  let retry: NodeJS.Timeout | undefined;
  let checking: NodeJS.Timeout | undefined;
  let delay = RETRY_FIRST_MS;
  /** Ends a connection no longer wanted, its late errors ignored. */
  const release = (c: pg.Client) => {
    c.removeAllListeners();
    c.on("error", () => {});
    return c.end().catch(() => {});
  };
  const lost = (c: pg.Client, error?: unknown) => {
    if (client !== c) return;
    client = undefined;
    handlers.down();
    void release(c);
    if (closed) return;
    if (error)
      log?.warn({ err: error, channel, retryMs: delay }, "database notifications lost; listening again");
    retry = setTimeout(connect, delay);
    retry.unref();
    delay = Math.min(delay * 2, RETRY_MAX_MS);
  };
  const connect = () => {
    retry = undefined;
    if (closed) return;
    // TCP keepalive, and a query every `health.everyMs` answered within `health.timeoutMs`: a
    // connection dropped silently (a NAT, a proxy) must not leave the owner believing it listens.
    const c = new pg.Client({ ...database.pool.options, keepAlive: true });
    client = c;
    c.on("error", (e) => lost(c, e));
    c.on("end", () => lost(c));
    c.on("notification", (n) => {
      if (n.channel === channel) handlers.message(n.payload ?? "");
    });
    c.connect()
      .then(() => c.query(`listen ${channel}`))
      .then(() => {
        if (client !== c) return;
        delay = RETRY_FIRST_MS;
        handlers.up();
        check(c);
      })
      .catch((e) => lost(c, e));
  };
  const check = (c: pg.Client) => {
    checking = setTimeout(() => {
      if (client !== c) return;
      const late = setTimeout(() => lost(c, new Error("no answer to the health check")), health.timeoutMs);
      c.query("select 1").then(
        () => {
          clearTimeout(late);
          if (client === c) check(c);
        },
        (e) => {
          clearTimeout(late);
          lost(c, e);
        },
      );
    }, health.everyMs);
    checking.unref();
  };
  connect();
  return {
    close: async () => {
      closed = true;
      if (retry) clearTimeout(retry);
      if (checking) clearTimeout(checking);
      const c = client;
      client = undefined;
      handlers.down();
      if (c) await release(c);
    },
  };
}
