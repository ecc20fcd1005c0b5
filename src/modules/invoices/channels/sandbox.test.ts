import { afterEach, describe, expect, it } from "vitest";
import {
  describeEachDatabase,
  describePostgres,
  openTestDatabase,
  openTestPostgres,
} from "../../../../test/support/db";
import { computeInvoice, parseInvoiceNumber } from "../../../domain";
import type { Database } from "../../../platform/db/client";
import { invoiceNumberSequences, sandboxIssued } from "../../../platform/db/schema";
import { ChannelUnavailableError, type IssueRequest } from "./channel";
import { createSandboxChannel } from "./sandbox";

const computed = computeInvoice({
  lines: [
    {
      name: "午餐",
      shortName: "餐饮服务",
      taxCode: "3070401000000000000",
      taxRate: "0.06",
      amount: "100.00",
    },
  ],
});
if (!computed.ok) throw new Error("fixture does not compute");

function request(serial: string, overrides: Partial<IssueRequest> = {}): IssueRequest {
  return {
    serial,
    invoiceType: "digital_normal",
    color: "blue",
    seller: { name: "示范酒店", taxId: "91440300PMDEM0017W" },
    buyer: { type: "individual", name: "张三", taxId: "", naturalPerson: true },
    lines: computed.ok ? computed.value.lines : [],
    totals: computed.ok
      ? computed.value.totals
      : { amountExcludingTax: "0", taxAmount: "0", totalAmount: "0" },
    settings: {},
    ...overrides,
  };
}

let database: Database | undefined;
afterEach(async () => {
  await database?.close();
  database = undefined;
});

describeEachDatabase("sandbox channel", (kind) => {
  // 2026-11-22 12:00 in China.
  const noon = () => new Date("2026-11-22T04:00:00Z");

  it("allocates consecutive numbers per (year, province) with the sandbox layout", async () => {
    database = await openTestDatabase(kind);
    const channel = createSandboxChannel(database, noon);
    const a = await channel.issue(request("S1"));
    const b = await channel.issue(request("S2"));
    const shanghai = await channel.issue(
      request("S3", { seller: { name: "上海店", taxId: "91310000PMDEM00255" } }),
    );
    if (a.status !== "issued" || b.status !== "issued" || shanghai.status !== "issued")
      throw new Error("not issued");
    expect(a.number).toBe("26442000000000000001");
    expect(b.number).toBe("26442000000000000002");
    expect(shanghai.number).toBe("26312000000000000001");
    expect(parseInvoiceNumber(a.number)).toMatchObject({ year: "26", province: "44", channel: "2" });
  });

  it("returns the first answer for a serial it has seen, and finds it by query", async () => {
    database = await openTestDatabase(kind);
    const channel = createSandboxChannel(database, noon);
    const first = await channel.issue(request("SAME"));
    expect(await channel.issue(request("SAME"))).toEqual(first);
    expect(await channel.query("SAME", {})).toEqual(first);
    expect(await channel.query("NEVER", {})).toBeNull();
    expect(await database.db.select().from(sandboxIssued)).toHaveLength(1);
  });

  it("can be offline, refuse, or refuse what a tax bureau would refuse", async () => {
    database = await openTestDatabase(kind);
    const channel = createSandboxChannel(database, noon);
    await expect(channel.issue(request("OFF", { settings: { mode: "offline" } }))).rejects.toBeInstanceOf(
      ChannelUnavailableError,
    );
    await expect(channel.query("OFF", { mode: "offline" })).rejects.toBeInstanceOf(ChannelUnavailableError);
    expect(
      await channel.issue(request("NO", { settings: { mode: "reject", message: "税局维护中" } })),
    ).toEqual({
      status: "rejected",
      code: "CHANNEL_REJECTED",
      message: "税局维护中",
    });
    const wrongTotals = await channel.issue(
      request("BAD", { totals: { amountExcludingTax: "94.34", taxAmount: "5.66", totalAmount: "100.01" } }),
    );
    expect(wrongTotals.status).toBe("rejected");
    const redWithoutBlue = await channel.issue(request("RED", { color: "red" }));
    expect(redWithoutBlue).toMatchObject({ status: "rejected", message: expect.stringContaining("蓝字") });
    // Nothing refused used up a number.
    expect(await database.db.select().from(invoiceNumberSequences)).toEqual([]);
  });
});

describePostgres("sandbox channel under concurrency [postgres]", () => {
  it("never repeats or skips a number, and one serial gets one number, with 40 requests at once", async () => {
    database = await openTestPostgres(20);
    const channel = createSandboxChannel(database);
    const serials = Array.from({ length: 40 }, (_, i) => `C${i % 30}`);
    const results = await Promise.all(serials.map((s) => channel.issue(request(s))));
    const bySerial = new Map<string, string>();
    for (const [i, r] of results.entries()) {
      if (r.status !== "issued") throw new Error("not issued");
      const seen = bySerial.get(serials[i]!);
      if (seen) expect(r.number).toBe(seen);
      bySerial.set(serials[i]!, r.number);
    }
    const sequences = [...new Set(bySerial.values())].map((n) => Number(n.slice(5))).sort((a, b) => a - b);
    expect(sequences).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });
});

describePostgres("sandbox channel and commit durability [postgres]", () => {
  it("turns off waiting for the flush only for its own allocation, not for the connection", async () => {
    // One connection, so the statement below runs on the one the allocation used.
    database = await openTestPostgres(1);
    const channel = createSandboxChannel(database);
    expect((await channel.issue(request("DURABLE"))).status).toBe("issued");
    // Submits and saves on this connection must still wait for their flush.
    const { rows } = await database.executeSql("select current_setting('synchronous_commit') as value");
    expect(rows).toEqual([{ value: "on" }]);
  });
});

describe("sandbox settings", () => {
  it("answers slowly when told to", async () => {
    database = await openTestDatabase("pglite");
    const channel = createSandboxChannel(database);
    const started = process.hrtime.bigint();
    await channel.issue(request("SLOW", { settings: { delayMs: 300 } }));
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeGreaterThanOrEqual(290);
  });
});
