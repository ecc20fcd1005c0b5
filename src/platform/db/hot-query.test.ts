import { afterAll, beforeAll, expect, it } from "vitest";
import { describePostgres, openTestPostgres } from "../../../test/support/db";
import type { Database } from "./client";

/**
 * Hot statements (`database.prepared`) are described once per pool, then run without Describe and
 * their rows built by a compiled row maker: the rows must be the driver's own, value for value and
 * type for type, on the first run and on every later one, on every connection of the pool.
 */
describePostgres("hot statements without Describe [postgres]", () => {
  let database: Database & { kind: "postgres" };
  beforeAll(async () => {
    database = (await openTestPostgres(3)) as Database & { kind: "postgres" };
  });
  afterAll(() => database.close());

  const TEXT = `select $1::text as "name", $2::int as n, now() - interval '1 day' * $2 as "at",
      $2 > 1 as "flag", array['a', $1::text] as "list", json_build_object('k', $1::text, 'n', $2::int) as "doc",
      12.50::numeric(10, 2) as "money", null::text as "nothing", 9007199254740993::bigint as "big"
    from generate_series(1, $2) g`;

  it("answers the driver's rows, first run and later runs alike", async () => {
    const values = ["甲", 3];
    const expected = (await database.pool.query({ text: TEXT, values })).rows;
    expect(expected).toHaveLength(3);
    // More runs than connections, concurrently and one after another: every connection of the
    // pool prepares it once, and most runs come after it was described.
    const runs = await Promise.all(
      Array.from({ length: 8 }, () => database.prepared<Record<string, unknown>>("hot_test", TEXT, values)),
    );
    for (let i = 0; i < 4; i++) runs.push(await database.prepared("hot_test", TEXT, values));
    for (const rows of runs) {
      expect(rows).toHaveLength(3);
      for (const [i, row] of rows.entries()) {
        const want = expected[i] as Record<string, unknown>;
        expect(Object.keys(row)).toEqual(Object.keys(want));
        expect({ ...row, at: null }).toEqual({ ...want, at: null });
        expect(row.at).toBeInstanceOf(Date);
        expect(Math.abs((row.at as Date).getTime() - (want.at as Date).getTime())).toBeLessThan(60_000);
        expect(row).toMatchObject({ name: "甲", n: 3, flag: true, list: ["a", "甲"], money: "12.50" });
        expect(row.doc).toEqual({ k: "甲", n: 3 });
        expect(row.nothing).toBeNull();
        expect(row.big).toBe("9007199254740993");
      }
    }
    // Other values after the description: no row, one row.
    expect(await database.prepared("hot_test", TEXT, ["乙", 0])).toEqual([]);
    expect(await database.prepared("hot_test", TEXT, ["乙", 1])).toMatchObject([
      { name: "乙", n: 1, flag: false },
    ]);
  });

  it("reports a failing run as an error and keeps the connection usable", async () => {
    const text = "select 1 / $1::int as q";
    expect(await database.prepared("hot_div", text, [1])).toEqual([{ q: 1 }]);
    for (let i = 0; i < 4; i++) {
      await expect(database.prepared("hot_div", text, [0])).rejects.toThrow(/division by zero/);
      expect(await database.prepared("hot_div", text, [2])).toEqual([{ q: 0 }]);
    }
    // A value the driver cannot send is refused before anything is written.
    const bad = {
      toPostgres: () => {
        throw new Error("not sendable");
      },
    };
    await expect(database.prepared("hot_div", text, [bad])).rejects.toThrow(/not sendable/);
    expect(await database.prepared("hot_div", text, [1])).toEqual([{ q: 1 }]);
  });

  it("statements without rows (an update) run as before", async () => {
    const rows = await database.prepared("hot_upd", "update pg_class set relname = relname where false", []);
    expect(rows).toEqual([]);
    expect(
      await database.prepared("hot_upd", "update pg_class set relname = relname where false", []),
    ).toEqual([]);
  });
});
