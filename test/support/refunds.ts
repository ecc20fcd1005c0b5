import pg from "pg";
import type { TestApp } from "./app";
import { waitUntil } from "./wait";

/** Order lines the refund tests push (API.md §1 lines): with and without a quantity, two tax rates. */
export const PURCHASE_LINES = {
  /** 2 × 15.00 at 13 %. */
  coffee: {
    name: "咖啡",
    shortName: "饮料",
    taxCode: "1030307020000000000",
    taxRate: "0.13",
    quantity: "2",
    unitPrice: "15.00",
    amount: "30.00",
  },
  /** 88.00 at 6 %, no quantity. */
  lunch: {
    name: "午餐",
    shortName: "餐饮服务",
    taxCode: "3070401000000000000",
    taxRate: "0.06",
    amount: "88.00",
  },
  /** 12.00 at 13 %, no quantity. */
  tea: { name: "茶", shortName: "饮料", taxCode: "1030307020000000000", taxRate: "0.13", amount: "12.00" },
  /** 20.00 at 13 %, no quantity. */
  cake: { name: "蛋糕", shortName: "糕点", taxCode: "1030201000000000000", taxRate: "0.13", amount: "20.00" },
};

/**
 * Two requests reaching one row in a chosen order, on PostgreSQL: an operator's transaction (its own
 * connection to the app's database) holds the row's lock; the first request queues for the row
 * first, the second behind it (PostgreSQL grants a row's waiters in order); then the lock is let go.
 */
export async function rowLockRace(app: TestApp) {
  const database = app.ctx.database;
  if (database.kind !== "postgres") throw new Error("expects PostgreSQL");
  const client = await database.pool.connect();
  const dbName = (await client.query("select current_database() as name")).rows[0].name as string;
  client.release();
  const url = new URL(process.env.TEST_DATABASE_URL ?? "");
  url.pathname = `/${dbName}`;
  const op = new pg.Client({ connectionString: url.toString() });
  await op.connect();
  const waiters = async (n: number, what: string) =>
    waitUntil(async () => {
      const { rows } = await op.query("select count(*)::int as n from pg_locks where not granted");
      return rows[0].n >= n;
    }, what);
  return {
    /** Runs `first`, then `second`, each queued behind the operator's lock on the receipt code's row. */
    async inOrder<A, B>(codeId: string, first: () => Promise<A>, second: () => Promise<B>) {
      await op.query("begin");
      await op.query("select id from receipt_codes where id = $1 for update", [codeId]);
      const a = first();
      await waiters(1, "the first request waiting for the code's row");
      const b = second();
      await waiters(2, "the second request queued behind it");
      await op.query("commit");
      return [await a, await b] as const;
    },
    close: () => op.end(),
  };
}
