import { afterEach, beforeEach, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";

/** A minimal valid code as the console form sends it. */
const codeInput = (serialNo: string) => ({
  serialNo,
  drawer: "王会计",
  lines: [
    { name: "午餐", shortName: "餐饮服务", taxCode: "3070401000000000000", taxRate: "0.06", amount: "10.00" },
  ],
});

describeEachDatabase("the console's suggested 小票流水号 (next-serial)", (kind) => {
  let app: TestApp;
  let orgA: string;
  let orgB: string;
  let operator: ConsoleClient;
  let operatorB: ConsoleClient;
  // 2026-03-01 23:30 in China is 15:30 UTC: the day is China's, not UTC's.
  let now = new Date("2026-03-01T15:30:00Z");

  beforeEach(async () => {
    now = new Date("2026-03-01T15:30:00Z");
    app = await createTestApp(kind, { startJobs: false, providers: { clock: () => now } });
    orgA = (await makeOrganization(app.ctx.database)).id;
    orgB = (await makeOrganization(app.ctx.database)).id;
    const a = await makeUser(app.ctx.database, { role: "operator", orgIds: [orgA] });
    const b = await makeUser(app.ctx.database, { role: "operator", orgIds: [orgB] });
    operator = await loginAs(app, a.username, a.password);
    operatorB = await loginAs(app, b.username, b.password);
  });
  afterEach(() => app.close());

  const suggest = async (client: ConsoleClient, orgId: string, deviceNo?: string) => {
    const res = await client.get(
      `/orgs/${orgId}/receipt-codes/next-serial${deviceNo ? `?deviceNo=${encodeURIComponent(deviceNo)}` : ""}`,
    );
    expect(res.statusCode, res.body).toBe(200);
    return res.json().serialNo as string;
  };
  const save = (client: ConsoleClient, orgId: string, serialNo: string) =>
    client.post(`/orgs/${orgId}/receipt-codes`, codeInput(serialNo));

  it("counts on from the highest sequence of that device and China day, per organization", async () => {
    expect(await suggest(operator, orgA, "POS-01")).toBe("POS-01-20260301-0001");
    expect((await save(operator, orgA, "POS-01-20260301-0001")).statusCode).toBe(201);
    // A typed number of the same shape with a gap: the next one follows the highest.
    expect((await save(operator, orgA, "POS-01-20260301-0041")).statusCode).toBe(201);
    // Numbers that only look alike do not count: another device, a suffix, another day.
    for (const other of ["POS-011-20260301-0099", "POS-01-20260301-0099A", "POS-01-20260228-0500"])
      expect((await save(operator, orgA, other)).statusCode).toBe(201);
    expect(await suggest(operator, orgA, "POS-01")).toBe("POS-01-20260301-0042");
    expect(await suggest(operator, orgA, "POS-02")).toBe("POS-02-20260301-0001");
    // Without a device: date and sequence.
    expect(await suggest(operator, orgA)).toBe("20260301-0001");
    // Another organization's codes are its own.
    expect(await suggest(operatorB, orgB, "POS-01")).toBe("POS-01-20260301-0001");
    // The next China day starts again at 1.
    now = new Date("2026-03-01T16:00:00Z");
    expect(await suggest(operator, orgA, "POS-01")).toBe("POS-01-20260302-0001");
  });

  it("is a suggestion: the server still refuses a duplicate at its field", async () => {
    const first = await suggest(operator, orgA, "POS-01");
    const second = await suggest(operator, orgA, "POS-01");
    expect(second).toBe(first);
    expect((await save(operator, orgA, first)).statusCode).toBe(201);
    const dup = await save(operator, orgA, second);
    expect(dup.statusCode).toBe(409);
    expect(dup.json().error.details.fields).toEqual({ serialNo: "该小票流水号已存在" });
  });

  it("leaves out of the serial the device characters a serial may not hold, and refuses another organization", async () => {
    expect(await suggest(operator, orgA, "前台 POS%1")).toBe("POS%1-20260301-0001");
    expect((await save(operator, orgA, "POS%1-20260301-0001")).statusCode).toBe(201);
    expect((await save(operator, orgA, "POSX1-20260301-0007")).statusCode).toBe(201);
    // "%" is a LIKE wildcard: it is matched as itself.
    expect(await suggest(operator, orgA, "POS%1")).toBe("POS%1-20260301-0002");
    const foreign = await operator.get(`/orgs/${orgB}/receipt-codes/next-serial`);
    expect(foreign.statusCode).toBe(404);
  });
});
