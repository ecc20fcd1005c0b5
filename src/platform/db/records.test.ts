import { eq } from "drizzle-orm";
import { integer, numeric, pgTable, text } from "drizzle-orm/pg-core";
import { afterEach, describe, expect, it } from "vitest";
import { describeEachDatabase, openTestDatabase } from "../../../test/support/db";
import { newId } from "../ids";
import type { Database } from "./client";
import {
  columnNamesSql,
  columnsSql,
  recordObjectSql,
  recordsJson,
  selectRecords,
  storedRow,
} from "./records";
import { invoiceLines, organizations, taxBureauAccounts } from "./schema";

describe("column lists from the table", () => {
  it("select columns named as the table's properties (numerics as text, a prefix capitalised), and insert lists by column name", () => {
    expect(columnsSql(invoiceLines, "l", ["invoiceId", "taxRate"])).toBe(
      'l."invoice_id" as "invoiceId", l."tax_rate"::text as "taxRate"',
    );
    expect(columnsSql(organizations, "o", ["name", "taxId"], "seller")).toBe(
      'o."name" as "sellerName", o."tax_id" as "sellerTaxId"',
    );
    expect(columnNamesSql(invoiceLines, ["invoiceId", "amountIncludingTax"])).toBe(
      '"invoice_id", "amount_including_tax"',
    );
    expect(() => columnsSql(invoiceLines, "l", ["nothing" as "kind"])).toThrow(/no column nothing/);
  });
});

describe("storedRow", () => {
  it("writes numerics at their column's scale, as PostgreSQL returns them, and leaves the rest", () => {
    const line = storedRow(invoiceLines, {
      invoiceId: "inv_1",
      position: 0,
      kind: "normal",
      itemName: "*餐饮服务*午餐",
      name: "午餐",
      shortName: "餐饮服务",
      taxCode: "3070401000000000000",
      spec: "",
      unit: "份",
      quantity: "2",
      unitPrice: "12.5",
      amountExcludingTax: "23.58",
      taxRate: "0.06",
      zeroRateKind: null,
      tax: "1.42",
      amountIncludingTax: "25.00",
      blueLineNo: null,
    });
    expect(line).toMatchObject({
      quantity: "2.0000000000000",
      unitPrice: "12.5000000000000",
      taxRate: "0.0600",
      amountExcludingTax: "23.58",
      zeroRateKind: null,
      position: 0,
      unit: "份",
    });
  });
});

/** A table of this test's own, created on the fly. */
const probe = pgTable("records_probe", {
  id: text("id").primaryKey(),
  parentId: text("parent_id").notNull(),
  amount: numeric("amount", { precision: 18, scale: 2 }).notNull(),
  quantity: numeric("quantity", { precision: 38, scale: 13 }),
  position: integer("position").notNull(),
  label: text("label"),
});

describeEachDatabase("rows through JSON", (kind) => {
  let database: Database | undefined;
  afterEach(async () => {
    await database?.close();
    database = undefined;
  });

  it("inserts whole rows that read back equal, with any number of rows in one statement text", async () => {
    database = await openTestDatabase(kind);
    const now = new Date("2026-11-23T01:02:03.456Z");
    const org = {
      id: newId("org"),
      name: '记录测试（深圳）有限公司 "引号" \\ 反斜杠',
      taxId: "91440300PMREC0017W",
      address: "",
      phone: "",
      bankName: "",
      bankAccount: "",
      orderQueryUrl: null,
      webhookUrl: "https://example.com/hook",
      contactEmail: null,
      isDemo: true,
      myInvoicesListed: true,
      pendingSubmissionHours: 72,
      createdAt: now,
      updatedAt: now,
    } satisfies typeof organizations.$inferSelect;
    const accounts = ["甲", "乙", "丙"].map((name, i): typeof taxBureauAccounts.$inferSelect => ({
      id: newId("tax"),
      orgId: org.id,
      name,
      channel: "sandbox",
      status: "online",
      settings: { mode: "online", delayMs: i, nested: { list: [1, "二", null] } },
      statusProblem: null,
      statusCode: null,
      statusMessage: null,
      statusAction: null,
      statusChangedAt: null,
      nextAttemptAt: null,
      creditAvailable: null,
      creditReportedAt: null,
      creditCheckedAt: null,
      checkFailures: i,
      createdAt: now,
      updatedAt: now,
    }));
    const insertOrg = `insert into organizations ${selectRecords(organizations, "$1")}`;
    const insertAccounts = `insert into tax_bureau_accounts ${selectRecords(taxBureauAccounts, "$1")}`;
    await database.prepared("records_test_org", insertOrg, [recordsJson(organizations, [org])]);
    // The same statement text for one row and for two.
    await database.prepared("records_test_accounts", insertAccounts, [
      recordsJson(taxBureauAccounts, accounts.slice(0, 1)),
    ]);
    await database.prepared("records_test_accounts", insertAccounts, [
      recordsJson(taxBureauAccounts, accounts.slice(1)),
    ]);

    const [readOrg] = await database.db.select().from(organizations).where(eq(organizations.id, org.id));
    expect(readOrg).toEqual(org);
    const readAccounts = await database.db
      .select()
      .from(taxBureauAccounts)
      .where(eq(taxBureauAccounts.orgId, org.id))
      .orderBy(taxBureauAccounts.settings);
    expect(readAccounts).toEqual(accounts);
  });

  it("inserts nothing when the joined relation is empty", async () => {
    database = await openTestDatabase(kind);
    const org = {
      id: newId("org"),
      name: "不应写入",
      taxId: "91440300PMREC0018W",
      address: "",
      phone: "",
      bankName: "",
      bankAccount: "",
      orderQueryUrl: null,
      webhookUrl: null,
      contactEmail: null,
      isDemo: false,
      myInvoicesListed: false,
      pendingSubmissionHours: 24,
      createdAt: new Date(),
      updatedAt: new Date(),
    } satisfies typeof organizations.$inferSelect;
    await database.executeSql(
      `with gate as (select 1 where false) insert into organizations ${selectRecords(organizations, "$1", "gate")}`,
      [recordsJson(organizations, [org])],
    );
    expect(await database.db.select().from(organizations).where(eq(organizations.id, org.id))).toEqual([]);
  });

  it("reads child rows as JSON equal to the rows Drizzle reads, numerics as the same strings", async () => {
    database = await openTestDatabase(kind);
    await database.executeSql(
      `create table records_probe (id text primary key, parent_id text not null, amount numeric(18,2) not null,
         quantity numeric(38,13), position integer not null, label text)`,
    );
    const rows = [
      { id: "a", parentId: "p", amount: "12.50", quantity: "3", position: 1, label: '含"引号"' },
      { id: "b", parentId: "p", amount: "-0.01", quantity: null, position: 0, label: null },
      {
        id: "c",
        parentId: "p",
        amount: "99999999999999.99",
        quantity: "0.0000000000001",
        position: 2,
        label: "",
      },
    ];
    await database.executeSql(`insert into records_probe ${selectRecords(probe, "$1")}`, [
      recordsJson(probe, rows),
    ]);
    const { rows: read } = await database.executeSql(
      `select json_agg(${recordObjectSql(probe, "r")} order by r.position) as lines from records_probe r where r.parent_id = $1`,
      ["p"],
    );
    const viaDrizzle = await database.db.select().from(probe).orderBy(probe.position);
    expect((read[0] as { lines: unknown }).lines).toEqual(viaDrizzle);
    expect(viaDrizzle.map((r) => r.amount)).toEqual(["-0.01", "12.50", "99999999999999.99"]);
    expect(viaDrizzle[1]?.quantity).toBe("3.0000000000000");
  });
});
