import { eq, inArray } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { SHORT_CODE_ALPHABET } from "../../domain";
import {
  receiptCodeConfigs,
  receiptCodes,
  submissionCodes,
  submissions,
  typedCodeMisses,
} from "../../platform/db/schema";
import { STATS_QUERIES } from "../stats/stats.queries";
import { SHORT_CODE_MISSES_PER_DAY } from "./scan.routes";
import { deleteOldTypedMisses, missKeyOf } from "./typed-code-misses";

const json = { "content-type": "application/json" };
const buyer = () => ({
  invoiceType: "digital_normal",
  buyer: { type: "enterprise", name: "上海合并开票科技有限公司", taxId: makeUscc("91310000") },
  email: "finance@example.com",
});

/**
 * 输入开票码 and 合并开票 through the consumer API, on both databases: the typed code finds its page,
 * misses are bounded per address; merged receipts are issued as one invoice (or a split), every code
 * shows it, and what cannot be merged is refused with its reason and changes nothing.
 */
describeEachDatabase("typed code and merged receipts", (kind) => {
  let app: TestApp;
  let orgId: string;
  let address = 0;
  beforeAll(async () => {
    app = await createTestApp(kind);
    orgId = (await makeOrganization(app.ctx.database, { name: "合并开票测试餐饮有限公司" })).id;
  });
  afterAll(() => app?.close());

  /** Each test its own client address, so one test's misses do not spend another's budget. */
  const newAddress = () => `10.9.0.${++address}`;
  const post = (url: string, body: unknown, remoteAddress = "10.8.0.1") =>
    app.http.inject({ method: "POST", url, headers: json, payload: JSON.stringify(body), remoteAddress });
  const setMerge = (values: { mergeEnabled?: boolean; mergeMaxReceipts?: number; limitText?: string }) =>
    app.ctx.database.db
      .update(receiptCodeConfigs)
      .set({
        ...values,
        ...(values.limitText ? { limitAmount: values.limitText, overLimitPolicy: "split" } : {}),
      })
      .where(eq(receiptCodeConfigs.orgId, orgId));
  const statusOf = async (id: string) =>
    (await app.ctx.database.db.select().from(receiptCodes).where(eq(receiptCodes.id, id)))[0]?.status;

  it("gives every code a 6-character 开票码 from the alphabet, and finds its page by it", async () => {
    const code = await makeReceiptCode(app.ctx, orgId);
    expect(code.shortCode).toMatch(new RegExp(`^[${SHORT_CODE_ALPHABET}]{6}$`));
    expect(SHORT_CODE_ALPHABET).not.toMatch(/[0O1IL]/);
    // As a consumer types it: lower case, a space in the middle.
    const typed = `${code.shortCode.slice(0, 3).toLowerCase()} ${code.shortCode.slice(3)}`;
    const res = await post("/api/scan/lookup", { code: typed }, newAddress());
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ token: code.token, url: code.url });

    const bad = await post("/api/scan/lookup", { code: "OOO-111" }, newAddress());
    expect(bad.statusCode).toBe(422);
    expect(bad.json().error.message).toContain("6 位字母和数字");
  });

  it("does not find an expired code by its 开票码", async () => {
    const code = await makeReceiptCode(app.ctx, orgId);
    await app.ctx.database.db
      .update(receiptCodes)
      .set({ expiresAt: new Date(Date.now() - 60_000) })
      .where(eq(receiptCodes.id, code.id));
    const res = await post("/api/scan/lookup", { code: code.shortCode }, newAddress());
    expect(res.statusCode).toBe(404);
    expect(res.json().error.code).toBe("RECEIPT_CODE_NOT_FOUND");
  });

  it(`refuses an address after ${SHORT_CODE_MISSES_PER_DAY} unknown codes a day, even a right one; others go on`, async () => {
    const code = await makeReceiptCode(app.ctx, orgId);
    const guesser = newAddress();
    const wrong = code.shortCode === "222222" ? "333333" : "222222";
    for (let i = 0; i < SHORT_CODE_MISSES_PER_DAY; i++) {
      expect((await post("/api/scan/lookup", { code: wrong }, guesser)).statusCode).toBe(404);
    }
    const limited = await post("/api/scan/lookup", { code: code.shortCode }, guesser);
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.message).toContain("开票码输错次数过多");
    // Guessing through 合并开票 spends the same budget.
    const other = await makeReceiptCode(app.ctx, orgId);
    await setMerge({ mergeEnabled: true });
    expect(
      (await post(`/api/scan/${other.token}/merge`, { codes: [code.shortCode] }, guesser)).statusCode,
    ).toBe(429);
    expect((await post("/api/scan/lookup", { code: code.shortCode }, newAddress())).statusCode).toBe(200);
  });

  it("keeps the budget in the database: misses another process counted refuse here; an IPv6 /64 is one client; old days are deleted", async () => {
    const code = await makeReceiptCode(app.ctx, orgId);
    const { db } = app.ctx.database;
    const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
    // As if another server process had answered this client's misses today.
    const elsewhere = newAddress();
    await db
      .insert(typedCodeMisses)
      .values({ address: elsewhere, day: today, misses: SHORT_CODE_MISSES_PER_DAY });
    const refused = await post("/api/scan/lookup", { code: code.shortCode }, elsewhere);
    expect(refused.statusCode).toBe(429);
    // Until the next China midnight.
    expect(Number(refused.headers["retry-after"])).toBeGreaterThan(0);
    expect(Number(refused.headers["retry-after"])).toBeLessThanOrEqual(24 * 3600);
    // One IPv6 subscriber (/64) is one client, whichever of its addresses guesses.
    const wrong = code.shortCode === "222222" ? "333333" : "222222";
    for (let i = 0; i < SHORT_CODE_MISSES_PER_DAY; i++) {
      const from = `2001:db8::${(i + 1).toString(16)}`;
      expect((await post("/api/scan/lookup", { code: wrong }, from)).statusCode).toBe(404);
    }
    expect((await post("/api/scan/lookup", { code: code.shortCode }, "2001:db8::ffff")).statusCode).toBe(429);
    expect((await post("/api/scan/lookup", { code: code.shortCode }, "2001:db8:0:1::1")).statusCode).toBe(
      200,
    );
    const [counted] = await db
      .select()
      .from(typedCodeMisses)
      .where(eq(typedCodeMisses.address, "2001:db8:0:0::/64"));
    expect(counted?.misses).toBe(SHORT_CODE_MISSES_PER_DAY);
    // Counts of days before yesterday go; today's stay.
    await db.insert(typedCodeMisses).values({ address: elsewhere, day: "2020-01-01", misses: 3 });
    expect(await deleteOldTypedMisses(app.ctx)).toBeGreaterThanOrEqual(1);
    const left = await db.select().from(typedCodeMisses).where(eq(typedCodeMisses.address, elsewhere));
    expect(left.map((r) => r.day)).toEqual([today]);
  });

  it("merges receipts added by 开票码 and by link into one invoice that every code shows", async () => {
    await setMerge({ mergeEnabled: true, mergeMaxReceipts: 5 });
    const since = new Date(Date.now() - 1);
    const [a, b, c] = [
      await makeReceiptCode(app.ctx, orgId),
      await makeReceiptCode(app.ctx, orgId),
      await makeReceiptCode(app.ctx, orgId),
    ];
    const codes = [b!.shortCode.toLowerCase(), `请开票 ${c!.url}?from=wechat`];
    const preview = await post(`/api/scan/${a!.token}/merge`, { codes });
    expect(preview.statusCode, preview.body).toBe(200);
    expect(preview.json()).toMatchObject({
      receipts: [
        { shortCode: b!.shortCode, serialNo: b!.serialNo, totals: { totalAmount: "800.00" } },
        { shortCode: c!.shortCode, serialNo: c!.serialNo, totals: { totalAmount: "800.00" } },
      ],
      totals: { totalAmount: "2400.00" },
      limit: { invoiceCount: 1 },
    });
    expect(preview.json().lines).toHaveLength(9);

    const body = { ...buyer(), mergeCodes: codes };
    const res = await post(`/api/scan/${a!.token}/submit`, body);
    expect(res.statusCode, res.body).toBe(202);
    const { invoices } = res.json();
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({ status: "issued", totals: { totalAmount: "2400.00" } });

    expect(await statusOf(a!.id)).toBe("invoiced");
    expect(await statusOf(b!.id)).toBe("merged");
    expect(await statusOf(c!.id)).toBe("merged");
    for (const code of [a!, b!, c!]) {
      const view = (await app.http.inject({ method: "GET", url: `/api/scan/${code.token}` })).json();
      expect(view.status).toBe("invoiced");
      expect(view.invoices.map((i: { id: string }) => i.id)).toEqual([invoices[0].id]);
      expect(view.merge.receipts).toBe(3);
      expect(view.submission.buyerName).toBe("上海合并开票科技有限公司");
      // The file through this code's own page.
      const pdf = await app.http.inject({
        method: "GET",
        url: `/api/scan/${code.token}/invoices/${invoices[0].id}.pdf`,
      });
      expect(pdf.statusCode).toBe(200);
    }
    // One submission, and each code in it once.
    const rows = await app.ctx.database.db
      .select()
      .from(submissionCodes)
      .where(inArray(submissionCodes.receiptCodeId, [a!.id, b!.id, c!.id]));
    expect(new Set(rows.map((r) => r.submissionId)).size).toBe(1);
    expect(rows.map((r) => r.position).sort()).toEqual([0, 1, 2]);

    // The statistics' funnel counts the three as submitted and invoiced.
    const funnel = await app.ctx.database.executeSql(STATS_QUERIES.funnel, [
      [orgId],
      since.toISOString(),
      new Date(Date.now() + 60_000).toISOString(),
    ]);
    expect(funnel.rows[0]).toMatchObject({ codes: 3, submitted: 3, invoiced: 3 });

    // A merged receipt cannot be invoiced on its own.
    const alone = await post(`/api/scan/${b!.token}/submit`, buyer());
    expect(alone.statusCode).toBe(409);
    expect(alone.json().error.message).toBe("该小票已与其他小票合并开票，不能单独开票");

    // The same submit again answers with the same invoice.
    const again = await post(`/api/scan/${a!.token}/submit`, body);
    expect(again.statusCode).toBe(200);
    expect(again.json().invoices.map((i: { id: string }) => i.id)).toEqual([invoices[0].id]);
  });

  it("splits merged receipts over the limit, and every code shows all the invoices", async () => {
    await setMerge({ mergeEnabled: true, limitText: "1000.00" });
    try {
      const [a, b] = [await makeReceiptCode(app.ctx, orgId), await makeReceiptCode(app.ctx, orgId)];
      const preview = await post(`/api/scan/${a!.token}/merge`, { codes: [b!.shortCode] });
      expect(preview.json().limit).toMatchObject({ policy: "split", invoiceCount: 2 });
      const res = await post(`/api/scan/${a!.token}/submit`, { ...buyer(), mergeCodes: [b!.shortCode] });
      expect(res.statusCode, res.body).toBe(202);
      const ids = res.json().invoices.map((i: { id: string }) => i.id);
      expect(ids).toHaveLength(2);
      const view = (await app.http.inject({ method: "GET", url: `/api/scan/${b!.token}` })).json();
      expect(view.invoices.map((i: { id: string }) => i.id)).toEqual(ids);
    } finally {
      await app.ctx.database.db
        .update(receiptCodeConfigs)
        .set({ limitText: "10000.00", limitAmount: "10000.00", overLimitPolicy: "reject" })
        .where(eq(receiptCodeConfigs.orgId, orgId));
    }
  });

  it("refuses what cannot be merged, each with its reason, and writes nothing", async () => {
    await setMerge({ mergeEnabled: true, mergeMaxReceipts: 3 });
    const page = await makeReceiptCode(app.ctx, orgId);
    const refusal = async (codes: string[]) => {
      const res = await post(`/api/scan/${page.token}/merge`, { codes }, newAddress());
      const submit = await post(
        `/api/scan/${page.token}/submit`,
        { ...buyer(), mergeCodes: codes },
        newAddress(),
      );
      expect(submit.statusCode).toBe(res.statusCode);
      return [res.statusCode, res.json().error.code, res.json().error.message];
    };

    const disabled = await makeReceiptCode(app.ctx, orgId);
    await app.ctx.database.db
      .update(receiptCodes)
      .set({ status: "disabled" })
      .where(eq(receiptCodes.id, disabled.id));
    expect(await refusal([disabled.shortCode])).toEqual([
      422,
      "MERGE_NOT_ALLOWED",
      `小票 ${disabled.serialNo} 已被商家停用，不能合并`,
    ]);

    const expired = await makeReceiptCode(app.ctx, orgId);
    await app.ctx.database.db
      .update(receiptCodes)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(receiptCodes.id, expired.id));
    expect(await refusal([expired.url])).toEqual([
      422,
      "MERGE_NOT_ALLOWED",
      `小票 ${expired.serialNo} 已过期，不能合并`,
    ]);
    expect((await refusal([expired.shortCode]))[1]).toBe("RECEIPT_CODE_NOT_FOUND");

    const invoiced = await makeReceiptCode(app.ctx, orgId);
    expect((await post(`/api/scan/${invoiced.token}/submit`, buyer())).statusCode).toBe(202);
    expect(await refusal([invoiced.shortCode])).toEqual([
      422,
      "MERGE_NOT_ALLOWED",
      `小票 ${invoiced.serialNo} 已开票或已提交开票，不能合并`,
    ]);

    const otherOrg = await makeOrganization(app.ctx.database, { name: "另一家商户有限公司" });
    const foreign = await makeReceiptCode(app.ctx, otherOrg.id);
    expect(await refusal([foreign.shortCode])).toEqual([422, "MERGE_NOT_ALLOWED", "只能合并同一商家的小票"]);

    expect(await refusal([page.shortCode])).toEqual([422, "MERGE_NOT_ALLOWED", "这就是本张小票，无需添加"]);
    const fresh = [await makeReceiptCode(app.ctx, orgId), await makeReceiptCode(app.ctx, orgId)];
    expect(await refusal([fresh[0]!.shortCode, fresh[0]!.shortCode])).toEqual([
      422,
      "MERGE_NOT_ALLOWED",
      `小票 ${fresh[0]!.serialNo} 已添加`,
    ]);
    const third = await makeReceiptCode(app.ctx, orgId);
    expect(await refusal([...fresh.map((c) => c.shortCode), third.shortCode])).toEqual([
      422,
      "MERGE_NOT_ALLOWED",
      "最多合并 3 张小票（含本张）",
    ]);
    expect((await refusal(["不是开票码"]))[2]).toContain("不是开票码或小票链接");

    await setMerge({ mergeEnabled: false });
    expect(await refusal([fresh[0]!.shortCode])).toEqual([422, "MERGE_NOT_ALLOWED", "该商家未开通合并开票"]);

    // Nothing written: the page's code and the ones offered are as they were.
    const { db } = app.ctx.database;
    expect(await db.select().from(submissions).where(eq(submissions.receiptCodeId, page.id))).toEqual([]);
    for (const code of [page, ...fresh, third, disabled]) {
      expect(
        await db.select().from(submissionCodes).where(eq(submissionCodes.receiptCodeId, code.id)),
      ).toEqual([]);
    }
    expect(await statusOf(page.id)).toBe("active");
    expect(await statusOf(fresh[0]!.id)).toBe("active");
  });
});

it("counts a client as its IPv4 address or its IPv6 /64", () => {
  expect(missKeyOf("203.0.113.7")).toBe("203.0.113.7");
  expect(missKeyOf("::ffff:203.0.113.7")).toBe("203.0.113.7");
  expect(missKeyOf("2001:db8:0:0:1:2:3:4")).toBe("2001:db8:0:0::/64");
  expect(missKeyOf("2001:DB8::1")).toBe("2001:db8:0:0::/64");
  expect(missKeyOf("2001:db8:abcd:12::1")).toBe("2001:db8:abcd:12::/64");
  expect(missKeyOf("::1")).toBe("0:0:0:0::/64");
});
