import { and, eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { type ConsoleClient, loginAs, makeUser } from "../../../test/support/console";
import { databaseKinds } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { type AppKeys, makeCredentials, openRequest } from "../../../test/support/open-api";
import { startSmtp, type TestSmtp } from "../../../test/support/smtp";
import { decodeQrCodes, itWithTools, pdfToPngs, pdfToText } from "../../../test/support/system-tools";
import { waitUntil } from "../../../test/support/wait";
import {
  invoices,
  pendingSubmissions,
  receiptCodeConfigs,
  receiptCodes,
  smsOutbox,
  submissions,
} from "../../platform/db/schema";
import { TOKEN_MISSES_PER_WINDOW } from "../../platform/failure-limiter";
import { STORE_CARD_STEPS } from "../documents";
import { expirePending } from "./store-codes.service";

const buyer = () => ({
  invoiceType: "digital_normal",
  buyer: { type: "enterprise", name: "上海门店测试有限公司", taxId: makeUscc("91310000") },
  email: "store-buyer@example.com",
});

for (const kind of databaseKinds()) {
  describe(`门店码 store codes [${kind}]`, () => {
    let app: TestApp;
    let smtp: TestSmtp;
    let orgId: string;
    let console_: ConsoleClient;
    let keys: AppKeys;
    let storeToken: string;

    beforeAll(async () => {
      smtp = await startSmtp();
      app = await createTestApp(kind, { env: { SMTP_URL: smtp.url } });
      orgId = (await makeOrganization(app.ctx.database)).id;
      const user = await makeUser(app.ctx.database, { orgIds: [orgId] });
      console_ = await loginAs(app, user.username, user.password);
      keys = await makeCredentials(app, orgId);
      const created = await console_.post(`/orgs/${orgId}/store-codes`, { name: "一楼 12 号桌" });
      expect(created.statusCode).toBe(201);
      storeToken = created.json().token;
      expect(created.json().url).toBe(`${app.config.publicUrl}/m/${storeToken}`);
    });
    afterAll(async () => {
      await app?.close();
      await smtp?.close();
    });

    const submitPending = async (extra: object = {}) => {
      const res = await app.http.inject({
        method: "POST",
        url: `/api/store/${storeToken}/submissions`,
        payload: { ...buyer(), amount: "800.00", receiptNo: "R-1", ...extra },
      });
      expect(res.statusCode, res.body).toBe(201);
      return res.json() as { token: string; status: string; message: string };
    };
    const pendingIdOf = async (token: string) => {
      const [row] = await app.ctx.database.db
        .select()
        .from(pendingSubmissions)
        .where(eq(pendingSubmissions.token, token));
      if (!row) throw new Error("no pending row");
      return row.id;
    };
    const consumerState = async (token: string) =>
      (await app.http.inject({ method: "GET", url: `/api/pending/${token}` })).json();

    it("shows the store, stores a waiting submission, lists it in the console", async () => {
      const page = await app.http.inject({ method: "GET", url: `/api/store/${storeToken}` });
      expect(page.json()).toMatchObject({ storeName: "一楼 12 号桌", sellerName: "测试销售方有限公司" });
      const pending = await submitPending();
      expect(pending).toMatchObject({ status: "waiting", message: "等待商家匹配订单" });
      expect(await consumerState(pending.token)).toMatchObject({ status: "waiting", receiptToken: null });
      const list = await console_.get(`/orgs/${orgId}/pending-submissions`);
      expect(list.statusCode).toBe(200);
      expect(list.json().items.map((i: { id: string }) => i.id)).toContain(await pendingIdOf(pending.token));
    });

    it("refuses an invalid buyer with field errors and stores nothing", async () => {
      const before = (await app.ctx.database.db.select().from(pendingSubmissions)).length;
      const res = await app.http.inject({
        method: "POST",
        url: `/api/store/${storeToken}/submissions`,
        payload: { ...buyer(), buyer: { type: "enterprise", name: "某公司", taxId: "123" } },
      });
      expect(res.statusCode).toBe(422);
      expect((await app.ctx.database.db.select().from(pendingSubmissions)).length).toBe(before);
    });

    it("matched in the console → the buyer is submitted on the code and issued; the page shows it", async () => {
      const pending = await submitPending();
      const id = await pendingIdOf(pending.token);
      const code = await makeReceiptCode(app.ctx, orgId);
      const res = await console_.post(`/orgs/${orgId}/pending-submissions/${id}/match`, {
        orderNo: code.serialNo,
      });
      expect(res.statusCode, res.body).toBe(200);
      await waitUntil(async () => {
        const rows = await app.ctx.database.db
          .select()
          .from(invoices)
          .where(eq(invoices.receiptCodeId, code.id));
        return rows.length > 0 && rows.every((r) => r.status === "issued");
      }, "the matched code issued");
      const state = await consumerState(pending.token);
      expect(state).toMatchObject({ status: "matched", receiptToken: code.token });
      const view = (await app.http.inject({ method: "GET", url: `/api/scan/${code.token}` })).json();
      expect(view.invoices[0]).toMatchObject({ status: "issued" });
    });

    it("matched through the signed open API; listed there before", async () => {
      const pending = await submitPending();
      const id = await pendingIdOf(pending.token);
      const list = await openRequest(app, keys, {
        method: "GET",
        url: "/open/v1/pending-submissions?pageSize=100",
      });
      expect(list.statusCode, list.body).toBe(200);
      expect(list.json().items.map((i: { id: string }) => i.id)).toContain(id);
      const code = await makeReceiptCode(app.ctx, orgId);
      const res = await openRequest(app, keys, {
        method: "POST",
        url: `/open/v1/pending-submissions/${id}/match`,
        body: { orderNo: code.serialNo },
      });
      expect(res.statusCode, res.body).toBe(200);
      const [sub] = await app.ctx.database.db
        .select()
        .from(submissions)
        .where(eq(submissions.receiptCodeId, code.id));
      expect(sub).toMatchObject({ buyerName: "上海门店测试有限公司" });
    });

    it("two matches racing: one wins, one submission, the other gets 409", async () => {
      const pending = await submitPending();
      const id = await pendingIdOf(pending.token);
      const a = await makeReceiptCode(app.ctx, orgId);
      const b = await makeReceiptCode(app.ctx, orgId);
      const answers = await Promise.all([
        console_.post(`/orgs/${orgId}/pending-submissions/${id}/match`, { orderNo: a.serialNo }),
        console_.post(`/orgs/${orgId}/pending-submissions/${id}/match`, { orderNo: b.serialNo }),
        console_.post(`/orgs/${orgId}/pending-submissions/${id}/match`, { orderNo: a.serialNo }),
      ]);
      expect(answers.map((r) => r.statusCode).sort()).toEqual([200, 409, 409]);
      const subs = [
        ...(await app.ctx.database.db.select().from(submissions).where(eq(submissions.receiptCodeId, a.id))),
        ...(await app.ctx.database.db.select().from(submissions).where(eq(submissions.receiptCodeId, b.id))),
      ];
      expect(subs).toHaveLength(1);
      // Matching again later: 409, nothing changes.
      const again = await console_.post(`/orgs/${orgId}/pending-submissions/${id}/match`, {
        orderNo: b.serialNo,
      });
      expect(again.statusCode).toBe(409);
    });

    it("an unknown order number: 404 and the submission still waits", async () => {
      const pending = await submitPending();
      const id = await pendingIdOf(pending.token);
      const res = await console_.post(`/orgs/${orgId}/pending-submissions/${id}/match`, {
        orderNo: "NO-SUCH",
      });
      expect(res.statusCode).toBe(404);
      expect(await consumerState(pending.token)).toMatchObject({ status: "waiting" });
    });

    it("a disabled store code refuses new submissions", async () => {
      const created = (await console_.post(`/orgs/${orgId}/store-codes`, { name: "二楼" })).json();
      const off = await console_.post(`/orgs/${orgId}/store-codes/${created.id}/disable`);
      expect(off.json()).toMatchObject({ active: false });
      const res = await app.http.inject({
        method: "POST",
        url: `/api/store/${created.token}/submissions`,
        payload: buyer(),
      });
      expect(res.statusCode).toBe(410);
    });

    it("expiry sweep: unmatched after 72 h → expired, the consumer is e-mailed and the page says so", async () => {
      const pending = await submitPending({ email: "late-buyer@example.com", mobile: "13700137009" });
      const mailsBefore = smtp.mails.length;
      expect(await expirePending(app.ctx, new Date(Date.now() + 71 * 3600_000))).toBe(0);
      expect(await consumerState(pending.token)).toMatchObject({ status: "waiting" });
      expect(await expirePending(app.ctx, new Date(Date.now() + 73 * 3600_000))).toBeGreaterThan(0);
      const state = await consumerState(pending.token);
      expect(state).toMatchObject({ status: "expired" });
      expect(state.message).toContain("等待超时");
      const mails = await smtp.waitFor(mailsBefore + 1);
      expect(mails.some((m) => m.to.includes("late-buyer@example.com"))).toBe(true);
      // The SMS links the submission's own page (/m/p/…), where the outcome is written.
      const sms = await app.ctx.database.db
        .select()
        .from(smsOutbox)
        .where(eq(smsOutbox.mobile, "13700137009"));
      expect(sms.map((m) => m.text)).toEqual([expect.stringContaining(`/m/p/${pending.token}`)]);
      // An expired one can no longer be matched.
      const code = await makeReceiptCode(app.ctx, orgId);
      const res = await console_.post(
        `/orgs/${orgId}/pending-submissions/${await pendingIdOf(pending.token)}/match`,
        {
          orderNo: code.serialNo,
        },
      );
      expect(res.statusCode).toBe(410);
      expect(res.json().error.code).toBe("PENDING_SUBMISSION_EXPIRED");
    });

    // ── the order pushed with the submission (POST /open/v1/receipt-codes with pendingSubmissionId) ──

    const order = (orderNo: string, amount = "88.00", extra: object = {}) => ({
      orderNo,
      orderTime: "2026-11-22T12:30:00+08:00",
      drawer: "张三",
      lines: [
        { name: "午餐", shortName: "餐饮服务", taxCode: "3070401000000000000", taxRate: "0.06", amount },
      ],
      ...extra,
    });
    const push = (body: object) =>
      openRequest(app, keys, { method: "POST", url: "/open/v1/receipt-codes", body });
    const codesOf = async (orderNo: string) =>
      app.ctx.database.db
        .select()
        .from(receiptCodes)
        .where(and(eq(receiptCodes.orgId, orgId), eq(receiptCodes.serialNo, orderNo)));

    it("an order pushed with the submission: created, matched and submitted at once, issued; pushed again → 200", async () => {
      const pending = await submitPending({ amount: "88.00" });
      const id = await pendingIdOf(pending.token);
      const orderNo = `PUSH-${kind}-1`;
      const res = await push(order(orderNo, "88.00", { pendingSubmissionId: id }));
      expect(res.statusCode, res.body).toBe(201);
      const [code] = await codesOf(orderNo);
      expect(code).toBeDefined();
      expect(res.json()).toMatchObject({ orderNo, token: code!.token });
      const [sub] = await app.ctx.database.db
        .select()
        .from(submissions)
        .where(eq(submissions.receiptCodeId, code!.id));
      expect(sub).toMatchObject({ buyerName: "上海门店测试有限公司", invoiceType: "digital_normal" });
      await waitUntil(async () => {
        const rows = await app.ctx.database.db
          .select()
          .from(invoices)
          .where(eq(invoices.receiptCodeId, code!.id));
        return rows.length === 1 && rows[0]!.status === "issued";
      }, "the pushed code issued");
      expect(await consumerState(pending.token)).toMatchObject({
        status: "matched",
        receiptToken: code!.token,
      });

      // The same push again: the same code (200), nothing new.
      const again = await push(order(orderNo, "88.00", { pendingSubmissionId: id }));
      expect(again.statusCode, again.body).toBe(200);
      expect(again.json()).toMatchObject({ id: code!.id, status: "invoiced" });
      expect(await codesOf(orderNo)).toHaveLength(1);
      // The submission on another order: it is taken.
      const other = await push(order(`PUSH-${kind}-1b`, "88.00", { pendingSubmissionId: id }));
      expect(other.statusCode).toBe(409);
      expect(other.json().error.code).toBe("PENDING_SUBMISSION_CLOSED");
      expect(await codesOf(`PUSH-${kind}-1b`)).toHaveLength(0);
    });

    it("an order pushed before, pushed again with the submission: matched then", async () => {
      const pending = await submitPending({ amount: null });
      const id = await pendingIdOf(pending.token);
      const orderNo = `PUSH-${kind}-2`;
      expect((await push(order(orderNo, "66.00"))).statusCode).toBe(201);
      const res = await push(order(orderNo, "66.00", { pendingSubmissionId: id }));
      expect(res.statusCode, res.body).toBe(200);
      const [code] = await codesOf(orderNo);
      expect(await consumerState(pending.token)).toMatchObject({
        status: "matched",
        receiptToken: code!.token,
      });
    });

    it("push refusals create nothing: another organization's, expired, dismissed submissions and a different amount", async () => {
      const refused = async (body: object, status: number, errorCode: string) => {
        const orderNo = (body as { orderNo: string }).orderNo;
        const res = await push(body);
        expect(res.statusCode, res.body).toBe(status);
        expect(res.json().error.code).toBe(errorCode);
        expect(await codesOf(orderNo)).toHaveLength(0);
        return res;
      };
      // Another organization's submission is not found.
      const otherOrg = (await makeOrganization(app.ctx.database)).id;
      const otherUser = await makeUser(app.ctx.database, { orgIds: [otherOrg] });
      const other = await loginAs(app, otherUser.username, otherUser.password);
      const otherStore = (await other.post(`/orgs/${otherOrg}/store-codes`, { name: "别家" })).json();
      const theirs = await app.http.inject({
        method: "POST",
        url: `/api/store/${otherStore.token}/submissions`,
        payload: buyer(),
      });
      const theirId = await pendingIdOf(theirs.json().token);
      await refused(
        order(`REF-${kind}-org`, "88.00", { pendingSubmissionId: theirId }),
        404,
        "PENDING_SUBMISSION_NOT_FOUND",
      );
      expect(await consumerState(theirs.json().token)).toMatchObject({ status: "waiting" });

      // Amount typed by the consumer differs from the order's total.
      const typed = await submitPending({ amount: "88.00" });
      const typedId = await pendingIdOf(typed.token);
      const mismatch = await refused(
        order(`REF-${kind}-amount`, "88.10", { pendingSubmissionId: typedId }),
        422,
        "PENDING_AMOUNT_MISMATCH",
      );
      expect(mismatch.json().error.details).toEqual({ amount: "88.00", totalAmount: "88.10" });
      expect(await consumerState(typed.token)).toMatchObject({ status: "waiting" });

      // Still waiting but past its time (the sweep has not run yet), and expired by the sweep.
      await app.ctx.database.db
        .update(pendingSubmissions)
        .set({ expiresAt: new Date(Date.now() - 1000) })
        .where(eq(pendingSubmissions.id, typedId));
      await refused(
        order(`REF-${kind}-late`, "88.00", { pendingSubmissionId: typedId }),
        410,
        "PENDING_SUBMISSION_EXPIRED",
      );
      await expirePending(app.ctx);
      await refused(
        order(`REF-${kind}-expired`, "88.00", { pendingSubmissionId: typedId }),
        410,
        "PENDING_SUBMISSION_EXPIRED",
      );

      // Dismissed by the operator.
      const dismissed = await submitPending({ amount: null });
      const dismissedId = await pendingIdOf(dismissed.token);
      expect(
        (await console_.post(`/orgs/${orgId}/pending-submissions/${dismissedId}/dismiss`)).statusCode,
      ).toBe(200);
      await refused(
        order(`REF-${kind}-dismissed`, "88.00", { pendingSubmissionId: dismissedId }),
        409,
        "PENDING_SUBMISSION_CLOSED",
      );
    });

    it("the organization's waiting time (组织设置, 1–720 h) sets when its submissions expire", async () => {
      const org = (await console_.get(`/orgs/${orgId}`)).json();
      expect(org.pendingSubmissionHours).toBe(72);
      const { id: _id, isDemo: _d, createdAt: _c, ...editable } = org;
      for (const bad of [0, 721, 1.5]) {
        const res = await console_.put(`/orgs/${orgId}`, { ...editable, pendingSubmissionHours: bad });
        expect(res.statusCode, res.body).toBe(422);
        expect(res.json().error.details.fields).toHaveProperty("pendingSubmissionHours");
      }
      expect((await console_.get(`/orgs/${orgId}`)).json().pendingSubmissionHours).toBe(72);
      const saved = await console_.put(`/orgs/${orgId}`, { ...editable, pendingSubmissionHours: 24 });
      expect(saved.statusCode, saved.body).toBe(200);
      expect(saved.json().pendingSubmissionHours).toBe(24);

      const pending = await submitPending({ email: "short-wait@example.com" });
      const hoursLeft = (Date.parse((await consumerState(pending.token)).expiresAt) - Date.now()) / 3600_000;
      expect(hoursLeft).toBeGreaterThan(23.9);
      expect(hoursLeft).toBeLessThanOrEqual(24);
      const mailsBefore = smtp.mails.length;
      await expirePending(app.ctx, new Date(Date.now() + 23 * 3600_000));
      expect(await consumerState(pending.token)).toMatchObject({ status: "waiting" });
      await expirePending(app.ctx, new Date(Date.now() + 25 * 3600_000));
      expect(await consumerState(pending.token)).toMatchObject({ status: "expired" });
      const mails = await smtp.waitFor(mailsBefore + 1);
      expect(mails.some((m) => m.to.includes("short-wait@example.com"))).toBe(true);
      await console_.put(`/orgs/${orgId}`, { ...editable, pendingSubmissionHours: 72 });
    });

    it("guessing tokens: unknown store and submission tokens count per address, then 429 as on /api/scan", async () => {
      const from = (remoteAddress: string, url: string) =>
        app.http.inject({ method: "GET", url, remoteAddress });
      const guesser = "203.0.113.7";
      for (let i = 0; i < TOKEN_MISSES_PER_WINDOW; i++) {
        const url = i % 2 ? `/api/pending/guess-${i}-00000000000000` : `/api/store/guess-${i}-00000000000000`;
        const miss = await from(guesser, url);
        expect([miss.statusCode, miss.json().error.code]).toEqual([404, "NOT_FOUND"]);
      }
      // Over the budget: refused, even a real token, with the scan's shape and Retry-After.
      const limited = await from(guesser, `/api/store/${storeToken}`);
      expect([limited.statusCode, limited.json().error.code]).toEqual([429, "RATE_LIMITED"]);
      const wait = Number(limited.headers["retry-after"]);
      expect(wait).toBeGreaterThan(500);
      expect(limited.json().error.details).toEqual({ retryAfterSeconds: wait });
      const submit = await app.http.inject({
        method: "POST",
        url: `/api/store/${storeToken}/submissions`,
        payload: buyer(),
        remoteAddress: guesser,
      });
      expect(submit.statusCode).toBe(429);
      // Another address is not affected; known tokens never count.
      const other = "198.51.100.9";
      for (let i = 0; i < TOKEN_MISSES_PER_WINDOW + 5; i++)
        expect((await from(other, `/api/store/${storeToken}`)).statusCode).toBe(200);
    });

    it("the form offers the organization's invoice types only, and the server refuses another with a field error", async () => {
      const setTypes = (invoiceTypes: string[]) =>
        app.ctx.database.db
          .update(receiptCodeConfigs)
          .set({ invoiceTypes, defaultInvoiceType: invoiceTypes[0]! })
          .where(eq(receiptCodeConfigs.orgId, orgId));
      await setTypes(["digital_normal", "digital_special"]);
      const both = (await app.http.inject({ method: "GET", url: `/api/store/${storeToken}` })).json();
      expect(both).toMatchObject({
        invoiceTypes: ["digital_normal", "digital_special"],
        defaultInvoiceType: "digital_normal",
      });
      await setTypes(["digital_normal"]);
      try {
        const page = (await app.http.inject({ method: "GET", url: `/api/store/${storeToken}` })).json();
        expect(page).toMatchObject({
          invoiceTypes: ["digital_normal"],
          defaultInvoiceType: "digital_normal",
        });
        const before = (await app.ctx.database.db.select().from(pendingSubmissions)).length;
        const res = await app.http.inject({
          method: "POST",
          url: `/api/store/${storeToken}/submissions`,
          payload: { ...buyer(), invoiceType: "digital_special" },
        });
        expect(res.statusCode, res.body).toBe(422);
        expect(res.json().error).toMatchObject({
          code: "INVOICE_TYPE_NOT_ALLOWED",
          details: { fields: { invoiceType: expect.any(String) } },
        });
        expect((await app.ctx.database.db.select().from(pendingSubmissions)).length).toBe(before);
        // The allowed one is taken.
        await submitPending({ invoiceType: "digital_normal" });
      } finally {
        await setTypes(["digital_normal", "digital_special"]);
      }
    });

    itWithTools(
      ["pdftotext", "pdftoppm", "zbarimg"],
      "prints an A6 card: seller, store, the QR of /m/{token}, 扫码开票 and the steps",
      async () => {
        const code = (await console_.post(`/orgs/${orgId}/store-codes`, { name: "三楼 8 号桌" })).json() as {
          id: string;
          url: string;
          name: string;
        };
        const res = await console_.get(`/orgs/${orgId}/store-codes/${code!.id}/card.pdf`);
        expect(res.statusCode, res.body).toBe(200);
        expect(res.headers["content-type"]).toBe("application/pdf");
        const pdf = res.rawPayload;
        const [, w, h] = /\/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]/.exec(pdf.toString("latin1")) ?? [];
        expect([Math.round((Number(w) * 25.4) / 72), Math.round((Number(h) * 25.4) / 72)]).toEqual([
          105, 148,
        ]);
        const text = (await pdfToText(pdf)).replace(/\s+/g, "");
        for (const part of ["测试销售方有限公司", code!.name, "扫码开票", ...STORE_CARD_STEPS])
          expect(text).toContain(part.replace(/\s+/g, ""));
        const { files, cleanup } = await pdfToPngs(pdf, { dpi: 200 });
        try {
          expect(await decodeQrCodes(files[0]!)).toEqual([code!.url]);
        } finally {
          await cleanup();
        }
        // A disabled code is not printed: its QR would lead nowhere.
        const off = (await console_.post(`/orgs/${orgId}/store-codes`, { name: "停用的桌" })).json();
        await console_.post(`/orgs/${orgId}/store-codes/${off.id}/disable`);
        expect((await console_.get(`/orgs/${orgId}/store-codes/${off.id}/card.pdf`)).statusCode).toBe(409);
      },
    );
  });
}
