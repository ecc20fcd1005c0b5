/**
 * The channels' callback routes refuse what they cannot read with a clear error (never a 500) and
 * answer NOT_FOUND for an invoice that is not ours. What a readable callback does (a query, nothing
 * believed): scenario 4 of test/support/channel-scenarios.ts, through each stand-in.
 */
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, submitAsCompany, type TestApp } from "../../../test/support/app";
import { makeOrganization, makeReceiptCode } from "../../../test/support/factories";
import { invoices, taxBureauAccounts } from "../../platform/db/schema";

let app: TestApp;
beforeAll(async () => {
  app = await createTestApp("pglite", { startJobs: false });
});
afterAll(() => app.close());

const form = (body: string | Buffer) =>
  app.http.inject({
    method: "POST",
    url: "/channels/nuonuo/callback",
    headers: { "content-type": "application/x-www-form-urlencoded;charset=UTF-8" },
    payload: body,
  });
const json = (url: string, body: unknown) =>
  app.http.inject({
    method: "POST",
    url,
    headers: { "content-type": "application/json" },
    payload: typeof body === "string" ? body : JSON.stringify(body),
  });
const error = (res: { statusCode: number; json(): unknown }) => [
  res.statusCode,
  (res.json() as { error: { code: string } }).error.code,
];

it("诺诺: an order that is not ours is NOT_FOUND; a body it cannot read is a field error", async () => {
  const content = JSON.stringify({ c_status: "1", c_orderno: "P01JZZZZZZZZZZZZZZZZ" });
  const unknown = await form(
    new URLSearchParams({ operater: "callback", orderno: "P01JZZZZZZZZZZZZZZZZ", content }).toString(),
  );
  expect(error(unknown)).toEqual([404, "NOT_FOUND"]);
  // The order number may come inside content alone.
  expect(error(await form(new URLSearchParams({ operater: "callback", content }).toString()))).toEqual([
    404,
    "NOT_FOUND",
  ]);
  // The same as JSON (诺诺's 红字确认单 callbacks are JSON).
  expect(
    error(
      await json("/channels/nuonuo/callback", {
        operater: "redConfirmCallback",
        billId: "PM01JZZZZZZZZZZZZZZZZZZZZZZZ",
      }),
    ),
  ).toEqual([404, "NOT_FOUND"]);

  const bad = [
    new URLSearchParams({ operater: "callback", orderno: "P01J", content: "{not json" }).toString(),
    new URLSearchParams({ operater: "callback", orderno: "../../etc" }).toString(),
    new URLSearchParams({ operater: "callback" }).toString(),
    "operater=callback&orderno=%E4%B8",
    Buffer.from([0x6f, 0x70, 0x65, 0x72, 0x61, 0x74, 0x65, 0x72, 0x3d, 0xff, 0xfe]),
    "orderno=P01JZZZZZZZZZZZZZZZZ",
  ];
  for (const body of bad) {
    const res = await form(body);
    expect(error(res), String(body)).toEqual([422, "VALIDATION_FAILED"]);
  }
});

it("金蝶: a serial that is not ours is NOT_FOUND; data it cannot decode, a bad envelope or bad JSON is a clear error", async () => {
  const url = "/channels/kingdee/callback";
  const encoded = (data: unknown) => Buffer.from(JSON.stringify(data)).toString("base64");
  const envelope = { returnMsg: "success", returnCode: "0", interfaceCode: "INVOICE.OPEN" };
  expect(
    error(await json(url, { ...envelope, data: encoded({ serialNo: "PM01JZZZZZZZZZZZZZZZZZZZZZZZ" }) })),
  ).toEqual([404, "NOT_FOUND"]);

  for (const body of [
    { ...envelope, data: "bm90IGpzb24=" },
    { ...envelope, data: "@@@" },
    { ...envelope, data: encoded({ invoiceNum: "26000000000000000001" }) },
    { ...envelope, interfaceCode: "INVOICE.VOID", data: encoded({ serialNo: "PM01" }) },
    { ...envelope },
    { data: encoded({ serialNo: "PM01" }) },
  ]) {
    const res = await json(url, body);
    expect(error(res), JSON.stringify(body)).toEqual([422, "VALIDATION_FAILED"]);
  }
  const broken = await json(url, '{"data":');
  expect(broken.statusCode).toBe(400);
  expect(broken.json()).toMatchObject({ error: { code: expect.any(String), message: expect.any(String) } });
});

it("诺诺: a callback finds its invoice by the order number stored with it, not by a rule about its serial", async () => {
  const org = await makeOrganization(app.ctx.database);
  const code = await makeReceiptCode(app.ctx, org.id);
  expect((await submitAsCompany(app, code.token)).json()).toMatchObject({ status: "issued" });
  const [invoice] = await app.ctx.database.db.select().from(invoices).where(eq(invoices.orgId, org.id));
  // An invoice on a 诺诺 account whose stored order number is not derived from its serial.
  await app.ctx.database.db
    .update(taxBureauAccounts)
    .set({ channel: "nuonuo" })
    .where(eq(taxBureauAccounts.orgId, org.id));
  await app.ctx.database.db
    .update(invoices)
    .set({ channelData: { orderNo: "PSTORED0000000000001" } })
    .where(eq(invoices.id, invoice!.id));
  const callback = (orderno: string) =>
    form(new URLSearchParams({ operater: "callback", orderno, content: "{}" }).toString());
  // Found (and, being issued already, left as it is): the acknowledgement 诺诺 expects.
  const found = await callback("PSTORED0000000000001");
  expect(found.statusCode, found.body).toBe(200);
  expect(found.json()).toEqual({ status: "0000", message: "同步成功" });
  // The number derived from the serial (P + 19 of its id) is not this invoice's: not found.
  expect(error(await callback(`P${invoice!.serial.slice(2, 21)}`))).toEqual([404, "NOT_FOUND"]);
});
