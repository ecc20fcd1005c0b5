import { and, asc, eq, inArray } from "drizzle-orm";
import type { LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { loginAs, makeUser } from "../../../test/support/console";
import { describeOneDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { waitUntil } from "../../../test/support/wait";
import { systemActor } from "../../context";
import { RED_REASONS } from "../../domain";
import {
  deliveries,
  invoices,
  myLoginCodes,
  mySessions,
  receiptCodes,
  smsOutbox,
} from "../../platform/db/schema";
import { registeredRoutes } from "../../platform/http";
import type { MailMessage } from "../deliveries/mailer";
import { reverseInvoice } from "../invoices/reversal.service";
import { MY_COOKIE } from "./my-invoices.routes";
import {
  CODE_MAX_ATTEMPTS,
  CODES_PER_ADDRESS_PER_HOUR,
  CODES_PER_CONTACT_PER_HOUR,
  deleteStaleLoginRows,
} from "./my-login.service";

const BUYER = "上海某某科技有限公司";

describeOneDatabase("我的发票 (/api/my)", (kind) => {
  let app: TestApp;
  const mails: MailMessage[] = [];
  let now = new Date();
  let orgA: { id: string; name: string };
  let orgB: { id: string; name: string };
  let ipCounter = 0;
  let contactCounter = 0;
  const freshIp = () => `203.0.113.${++ipCounter}`;
  const freshEmail = (name = "buyer") => `${name}${++contactCounter}@example.com`;
  const later = (seconds: number) => {
    now = new Date(now.getTime() + seconds * 1000);
  };

  beforeAll(async () => {
    app = await createTestApp(kind, {
      providers: {
        mailer: { kind: "smtp", send: async (m) => void mails.push(m), close: () => {} },
        clock: () => now,
      },
    });
    orgA = await makeOrganization(app.ctx.database, { name: "我的发票甲餐饮有限公司" });
    orgB = await makeOrganization(app.ctx.database, { name: "我的发票乙酒店有限公司" });
  });
  afterAll(() => app?.close());

  /** A receipt of `orgId` invoiced to BUYER and sent to the given contact: the invoice's id. */
  async function issueTo(orgId: string, to: { email?: string; mobile?: string }): Promise<string> {
    const code = await makeReceiptCode(app.ctx, orgId);
    const res = await app.http.inject({
      method: "POST",
      url: `/api/scan/${code.token}/submit`,
      payload: {
        invoiceType: "digital_normal",
        buyer: { type: "enterprise", name: BUYER, taxId: makeUscc("91310000") },
        ...to,
      },
    });
    expect(res.json().status).toBe("issued");
    return res.json().invoices[0].id as string;
  }

  const askCode = (to: { email?: string; mobile?: string }, ip = freshIp()) =>
    app.http.inject({ method: "POST", url: "/api/my/code", payload: to, remoteAddress: ip });

  async function lastCode(to: { email?: string; mobile?: string }): Promise<string> {
    if (to.email) {
      const mail = mails.filter((m) => m.to === to.email).at(-1);
      const code = /验证码为：(\d{6})/.exec(mail?.text ?? "")?.[1];
      if (!code) throw new Error(`no code mailed to ${to.email}`);
      return code;
    }
    // The invoice's own SMS may be written after the code's: take the newest message with a code.
    const rows = await app.ctx.database.db
      .select()
      .from(smsOutbox)
      .where(eq(smsOutbox.mobile, to.mobile ?? ""))
      .orderBy(asc(smsOutbox.createdAt), asc(smsOutbox.id));
    const withCode = rows.map((r) => /验证码为?(\d{6})/.exec(r.text)?.[1]).filter((c) => c !== undefined);
    const code = withCode.at(-1);
    if (!code) throw new Error(`no code sent to ${to.mobile}`);
    return code;
  }

  const tryCode = (to: { email?: string; mobile?: string }, code: string, ip = "198.51.100.1") =>
    app.http.inject({ method: "POST", url: "/api/my/session", payload: { ...to, code }, remoteAddress: ip });

  /** Logs in with a code sent now: the cookie header to send. */
  async function login(to: { email?: string; mobile?: string }): Promise<string> {
    later(120);
    expect((await askCode(to)).statusCode).toBe(202);
    const res = await tryCode(to, await lastCode(to));
    expect(res.statusCode).toBe(200);
    const cookie = res.cookies.find((c) => c.name === MY_COOKIE);
    if (!cookie) throw new Error("no session cookie");
    return `${MY_COOKIE}=${cookie.value}`;
  }

  const get = (url: string, cookie: string) => app.http.inject({ method: "GET", url, headers: { cookie } });
  const list = async (cookie: string, query = "") => {
    const res = await get(`/api/my/invoices${query}`, cookie);
    expect(res.statusCode).toBe(200);
    return res.json() as {
      items: Array<{
        id: string;
        color: string;
        status: string;
        redOf: string | null;
        seller: { id: string };
      }>;
      total: number;
      sellers: Array<{ id: string; name: string }>;
    };
  };

  describe("the code", () => {
    it("is 6 digits sent by e-mail with the link, stored only as a hash, and buys a 30-day HttpOnly session", async () => {
      const email = freshEmail();
      const invoiceId = await issueTo(orgA.id, { email });
      const sent = await askCode({ email: email.toUpperCase() });
      expect(sent.statusCode).toBe(202);
      expect(sent.json()).toMatchObject({ expiresInSeconds: 600, resendAfterSeconds: 60 });
      expect(sent.json().sentTo).not.toContain(email.split("@")[0]);
      const code = await lastCode({ email });
      expect(code).toMatch(/^\d{6}$/);
      expect(mails.at(-1)?.text).toContain(`${app.config.publicUrl}/my`);
      const [row] = await app.ctx.database.db
        .select()
        .from(myLoginCodes)
        .where(eq(myLoginCodes.contact, email));
      expect(row?.codeHash).toBeTruthy();
      expect(row?.codeHash).not.toContain(code);

      const res = await tryCode({ email }, code);
      expect(res.statusCode).toBe(200);
      expect(res.json()).toEqual({ channel: "email", contact: expect.stringContaining("***") });
      const cookie = res.cookies.find((c) => c.name === MY_COOKIE);
      expect(cookie).toMatchObject({
        httpOnly: true,
        sameSite: "Strict",
        path: "/api/my",
        maxAge: 30 * 24 * 3600,
      });
      // The server keeps a hash of the session token, never the token.
      const sessions = await app.ctx.database.db
        .select()
        .from(mySessions)
        .where(eq(mySessions.contact, email));
      expect(sessions).toHaveLength(1);
      expect(sessions[0]?.tokenHash).not.toBe(cookie?.value);

      // The invoice's own e-mail carries the link to 我的发票 too.
      const invoiceMail = await waitUntil(
        () => mails.find((m) => m.to === email && m.subject.includes("发票（号码")),
        "the invoice's e-mail",
      );
      expect(invoiceMail.text).toContain(
        `「我的发票」，可查看在各商家开具的全部发票：${app.config.publicUrl}/my`,
      );

      const header = `${MY_COOKIE}=${cookie?.value}`;
      expect((await list(header)).items.map((i) => i.id)).toEqual([invoiceId]);
      // A code works once.
      expect((await tryCode({ email }, code)).statusCode).toBe(422);

      const out = await app.http.inject({
        method: "DELETE",
        url: "/api/my/session",
        headers: { cookie: header },
      });
      expect(out.statusCode).toBe(204);
      expect(out.cookies.find((c) => c.name === MY_COOKIE)?.value).toBe("");
      expect((await get("/api/my/invoices", header)).statusCode).toBe(401);
      expect(
        await app.ctx.database.db.select().from(mySessions).where(eq(mySessions.contact, email)),
      ).toEqual([]);
    });

    it(`dies after ${CODE_MAX_ATTEMPTS} wrong tries: even the right one is refused then`, async () => {
      const email = freshEmail();
      later(120);
      expect((await askCode({ email })).statusCode).toBe(202);
      const code = await lastCode({ email });
      const wrong = code === "000000" ? "000001" : "000000";
      for (let i = 1; i <= CODE_MAX_ATTEMPTS; i++) {
        const res = await tryCode({ email }, wrong);
        expect(res.statusCode).toBe(422);
        expect(res.json().error.details.remainingAttempts).toBe(CODE_MAX_ATTEMPTS - i);
      }
      const locked = await tryCode({ email }, code);
      expect(locked.statusCode).toBe(422);
      expect(locked.json().error.details.fields.code).toBe("验证码错误次数过多，请重新获取");
      expect(locked.cookies.find((c) => c.name === MY_COOKIE)).toBeUndefined();
      // A new code works again.
      later(61);
      expect((await askCode({ email })).statusCode).toBe(202);
      expect((await tryCode({ email }, await lastCode({ email }))).statusCode).toBe(200);
    });

    it("expires after 10 minutes by the clock", async () => {
      const email = freshEmail();
      later(120);
      await askCode({ email });
      const stale = await lastCode({ email });
      later(10 * 60 + 1);
      const res = await tryCode({ email }, stale);
      expect(res.statusCode).toBe(422);
      expect(res.json().error.details.fields.code).toBe("验证码已过期，请重新获取");

      await askCode({ email });
      const fresh = await lastCode({ email });
      later(10 * 60 - 1);
      expect((await tryCode({ email }, fresh)).statusCode).toBe(200);
    });

    it("only the newest code of a contact logs in", async () => {
      const email = freshEmail();
      later(120);
      await askCode({ email });
      const first = await lastCode({ email });
      later(61);
      await askCode({ email });
      const second = await lastCode({ email });
      if (first !== second) expect((await tryCode({ email }, first)).statusCode).toBe(422);
      expect((await tryCode({ email }, second)).statusCode).toBe(200);
    });

    it("is sent once a minute and 5 times an hour per e-mail address", async () => {
      const email = freshEmail();
      later(3600);
      expect((await askCode({ email })).statusCode).toBe(202);
      const again = await askCode({ email });
      expect(again.statusCode).toBe(429);
      expect(Number(again.headers["retry-after"])).toBeGreaterThan(0);
      for (let i = 2; i <= CODES_PER_CONTACT_PER_HOUR; i++) {
        later(61);
        expect((await askCode({ email })).statusCode).toBe(202);
      }
      later(61);
      const sixth = await askCode({ email });
      expect(sixth.statusCode).toBe(429);
      expect(sixth.json().error.message).toContain("每小时");
      later(3600);
      expect((await askCode({ email })).statusCode).toBe(202);
    });

    it("is sent once a minute per mobile number, by SMS, and logs in to what was sent by SMS", async () => {
      const mobile = `1390000${String(1000 + contactCounter++).slice(-4)}`;
      const invoiceId = await issueTo(orgA.id, { mobile });
      later(120);
      expect((await askCode({ mobile })).statusCode).toBe(202);
      expect((await askCode({ mobile: `+86 ${mobile}` })).statusCode).toBe(429);
      const res = await tryCode({ mobile }, await lastCode({ mobile }));
      expect(res.statusCode).toBe(200);
      expect(res.json().contact).toBe(`${mobile.slice(0, 3)}****${mobile.slice(-4)}`);
      const cookie = `${MY_COOKIE}=${res.cookies.find((c) => c.name === MY_COOKIE)?.value}`;
      expect((await list(cookie)).items.map((i) => i.id)).toEqual([invoiceId]);
      // The invoice's own SMS links its page, which links 我的发票 (a one-SMS template has no room for both).
      const texts = await waitUntil(async () => {
        const rows = await app.ctx.database.db.select().from(smsOutbox).where(eq(smsOutbox.mobile, mobile));
        return rows.some((r) => r.text.includes(`${app.config.publicUrl}/s/`)) ? rows : null;
      }, "the invoice's SMS");
      expect(texts.length).toBeGreaterThan(1);
    });

    it(`is sent ${CODES_PER_ADDRESS_PER_HOUR} times an hour per client address, whatever the contacts`, async () => {
      const ip = freshIp();
      later(3600);
      for (let i = 0; i < CODES_PER_ADDRESS_PER_HOUR; i++) {
        expect((await askCode({ email: freshEmail("ip") }, ip)).statusCode).toBe(202);
      }
      const refused = await askCode({ email: freshEmail("ip") }, ip);
      expect(refused.statusCode).toBe(429);
      expect((await askCode({ email: freshEmail("ip") }, freshIp())).statusCode).toBe(202);
    });

    it("housekeeping deletes codes a day old and sessions a day past their end, nothing live", async () => {
      const email = freshEmail("stale");
      const cookie = await login({ email });
      const rows = async () => ({
        codes: (await app.ctx.database.db.select().from(myLoginCodes).where(eq(myLoginCodes.contact, email)))
          .length,
        sessions: (await app.ctx.database.db.select().from(mySessions).where(eq(mySessions.contact, email)))
          .length,
      });
      await deleteStaleLoginRows(app.ctx);
      expect(await rows()).toEqual({ codes: 1, sessions: 1 });
      later(25 * 3600);
      await deleteStaleLoginRows(app.ctx);
      expect(await rows()).toEqual({ codes: 0, sessions: 1 });
      expect((await get("/api/my/session", cookie)).statusCode).toBe(200);
      later(30 * 24 * 3600);
      expect((await get("/api/my/session", cookie)).statusCode).toBe(401);
      await deleteStaleLoginRows(app.ctx);
      expect(await rows()).toEqual({ codes: 0, sessions: 0 });
    });

    it("marks the cookie Secure when the installation is served over https", async () => {
      const plain = app.config.publicUrl;
      app.config.publicUrl = "https://fapiao.example.com";
      try {
        const email = freshEmail("https");
        later(120);
        await askCode({ email });
        const res = await tryCode({ email }, await lastCode({ email }));
        expect(res.cookies.find((c) => c.name === MY_COOKIE)).toMatchObject({ secure: true, httpOnly: true });
      } finally {
        app.config.publicUrl = plain;
      }
      const email = freshEmail("http");
      later(120);
      await askCode({ email });
      const res = await tryCode({ email }, await lastCode({ email }));
      expect(res.cookies.find((c) => c.name === MY_COOKIE)?.secure).toBeFalsy();
    });

    it("refuses a bad contact with a field error and sends nothing", async () => {
      const before = mails.length;
      const bad = await askCode({ email: "not-an-address" });
      expect(bad.statusCode).toBe(422);
      expect(bad.json().error.details.fields.email).toBe("邮箱格式不正确");
      expect((await askCode({ mobile: "12345" })).json().error.details.fields.mobile).toBe(
        "手机号格式不正确",
      );
      expect((await askCode({})).statusCode).toBe(422);
      expect(mails.length).toBe(before);
    });
  });

  describe("the list", () => {
    it("holds only what was delivered to the contact, newest first, reds after their blue, across organizations", async () => {
      const mine = freshEmail("mine");
      const other = freshEmail("other");
      const first = await issueTo(orgA.id, { email: mine });
      const second = await issueTo(orgB.id, { email: mine });
      // The same buyer's name, sent elsewhere: not listed.
      await issueTo(orgA.id, { email: other });
      const { red } = await reverseInvoice(app.ctx, {
        actor: systemActor("test"),
        invoiceId: first,
        reason: RED_REASONS[0],
      });
      await waitUntil(async () => {
        const [row] = await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, red.id));
        return row?.status === "issued";
      }, "the red invoice issued");
      const cookie = await login({ email: mine });
      const all = await list(cookie);
      expect(all.items.map((i) => [i.id, i.color, i.status])).toEqual([
        [second, "blue", "issued"],
        [first, "blue", "reversed"],
        [red.id, "red", "issued"],
      ]);
      expect(all.items[2]?.redOf).toBe(first);
      expect(all.sellers.map((s) => s.id).sort()).toEqual([orgA.id, orgB.id].sort());
      expect((await list(cookie, `?seller=${orgB.id}`)).items.map((i) => i.id)).toEqual([second]);
      const month = new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);
      expect((await list(cookie, `?month=${month}`)).total).toBe(3);
      expect((await list(cookie, "?month=2001-01")).items).toEqual([]);
      expect((await get("/api/my/invoices?month=2026-13", cookie)).statusCode).toBe(422);

      // The detail is the re-scan's view: the blue invoice with its red one, masked, files under /api/my.
      const detail = await get(`/api/my/invoices/${red.id}`, cookie);
      expect(detail.statusCode).toBe(200);
      const view = detail.json();
      expect(view.seller.name).toBe(orgA.name);
      expect(view.invoices.map((i: { id: string }) => i.id)).toEqual([first, red.id]);
      expect(view.invoices[0].buyer.taxId).toMatch(/^9131\*+/);
      expect(view.invoices[0].email).toMatch(/^m\*\*\*/);
      expect(view.invoices[0].pdfUrl).toBe(`/api/my/files/${first}.pdf`);
      const pdf = await get(view.invoices[0].pdfUrl, cookie);
      expect(pdf.statusCode).toBe(200);
      expect(pdf.headers["content-type"]).toBe("application/pdf");
      expect(pdf.rawPayload.subarray(0, 5).toString()).toBe("%PDF-");
      expect((await get(`/api/my/files/${first}.xml`, cookie)).statusCode).toBe(200);
      // The receipt's own page, where 申请重开 and 加入微信卡包 are: the code of these invoices.
      const [firstRow] = await app.ctx.database.db.select().from(invoices).where(eq(invoices.id, first));
      const [codeRow] = await app.ctx.database.db
        .select()
        .from(receiptCodes)
        .where(eq(receiptCodes.id, firstRow!.receiptCodeId));
      expect(view.pageUrl).toBe(`/s/${codeRow!.token}`);
      // A returned e-mail reads as returned here too, as on the re-scan.
      await app.ctx.database.db
        .update(deliveries)
        .set({ status: "bounced" })
        .where(eq(deliveries.invoiceId, first));
      const bounced = (await get(`/api/my/invoices/${first}`, cookie)).json();
      expect(bounced.invoices[0].deliveries.map((d: { status: string }) => d.status)).toContain("bounced");

      const resend = await app.http.inject({
        method: "POST",
        url: `/api/my/invoices/${first}/resend`,
        headers: { cookie },
        payload: { email: mine },
        remoteAddress: freshIp(),
      });
      expect(resend.statusCode).toBe(202);
    });

    it("pages by 20", async () => {
      const email = freshEmail("many");
      const ids: string[] = [];
      for (let i = 0; i < 21; i++) ids.push(await issueTo(orgA.id, { email }));
      const cookie = await login({ email });
      const one = await list(cookie);
      expect(one.total).toBe(21);
      expect(one.items).toHaveLength(20);
      const two = await list(cookie, "?page=2");
      expect(two.items.map((i) => i.id)).toEqual([ids[0]]);
      expect(one.items[0]?.id).toBe(ids[20]);
    });

    it("leaves out an organization that opted out in the console, and shows it again when it opts back in", async () => {
      const org = await makeOrganization(app.ctx.database, { name: "我的发票丙商店有限公司" });
      const email = freshEmail("optout");
      const kept = await issueTo(orgA.id, { email });
      const hidden = await issueTo(org.id, { email });
      const cookie = await login({ email });
      expect((await list(cookie)).items.map((i) => i.id)).toEqual([hidden, kept]);

      const admin = await makeUser(app.ctx.database, { orgIds: [org.id] });
      const consoleClient = await loginAs(app, admin.username, admin.password);
      const shownRes = await consoleClient.get(`/orgs/${org.id}`);
      expect(shownRes.statusCode, shownRes.body).toBe(200);
      const shown = shownRes.json();
      expect(shown.myInvoicesListed).toBe(true);
      const off = await consoleClient.put(`/orgs/${org.id}`, { ...shown, myInvoicesListed: false });
      expect(off.statusCode, off.body).toBe(200);
      expect(off.json().myInvoicesListed).toBe(false);

      expect((await list(cookie)).items.map((i) => i.id)).toEqual([kept]);
      expect((await list(cookie)).sellers.map((s) => s.id)).not.toContain(org.id);
      expect((await get(`/api/my/invoices/${hidden}`, cookie)).statusCode).toBe(404);
      expect((await get(`/api/my/files/${hidden}.pdf`, cookie)).statusCode).toBe(404);
      // Saving the form without the field leaves the choice as it is.
      const { myInvoicesListed: _, ...withoutField } = shown;
      await consoleClient.put(`/orgs/${org.id}`, withoutField);
      expect((await list(cookie)).items.map((i) => i.id)).toEqual([kept]);

      await consoleClient.put(`/orgs/${org.id}`, { ...shown, myInvoicesListed: true });
      expect((await list(cookie)).items.map((i) => i.id)).toEqual([hidden, kept]);
    });
  });

  describe("isolation", () => {
    it("never lets a session reach another contact's invoice on any /api/my route", async () => {
      const mine = freshEmail("iso");
      const theirs = freshEmail("iso-other");
      const mobile = `1370000${String(1000 + contactCounter++).slice(-4)}`;
      const own = await issueTo(orgA.id, { email: mine });
      const foreign = await issueTo(orgA.id, { email: theirs });
      // Sent by SMS to a number: an e-mail session does not see it either.
      const bySms = await issueTo(orgB.id, { mobile });
      const cookie = await login({ email: mine });

      const ids = (await list(cookie)).items.map((i) => i.id);
      expect(ids).toEqual([own]);

      // Every route of the scope, each with the other contact's invoice.
      const routes = (registeredRoutes.get(app.http) ?? []).filter(
        (r) => r.url.startsWith("/api/my") && r.method !== "HEAD",
      );
      const covered = new Set<string>();
      const call = async (method: string, url: string, pattern: string, payload?: unknown) => {
        covered.add(`${method} ${pattern}`);
        return app.http.inject({
          method: method as "GET",
          url,
          headers: { cookie },
          payload: payload as string,
          remoteAddress: freshIp(),
        });
      };
      for (const id of [foreign, bySms]) {
        const answers: LightMyRequestResponse[] = [
          await call("GET", `/api/my/invoices/${id}`, "/api/my/invoices/:id"),
          await call("POST", `/api/my/invoices/${id}/resend`, "/api/my/invoices/:id/resend", { email: mine }),
          await call("GET", `/api/my/files/${id}.pdf`, "/api/my/files/:file"),
          await call("GET", `/api/my/files/${id}.xml`, "/api/my/files/:file"),
          await call("GET", `/api/my/files/${id}.ofd`, "/api/my/files/:file"),
        ];
        for (const answer of answers) {
          expect(answer.statusCode).toBe(404);
          expect(answer.body).not.toContain(BUYER);
        }
        const listed = await call("GET", `/api/my/invoices?seller=${orgB.id}`, "/api/my/invoices");
        expect(listed.json().items).toEqual([]);
      }
      // The routes that need no invoice: the session's own contact only, or the login itself.
      covered.add("GET /api/my/session");
      covered.add("DELETE /api/my/session");
      covered.add("POST /api/my/session");
      covered.add("POST /api/my/code");
      expect(routes.map((r) => `${r.method} ${r.url}`).sort()).toEqual([...covered].sort());

      // Without a session, nothing but the login answers.
      for (const r of routes) {
        if (r.method === "POST" && (r.url === "/api/my/code" || r.url === "/api/my/session")) continue;
        if (r.method === "DELETE") continue;
        const url = r.url.replace(":id", own).replace(":file", `${own}.pdf`);
        const res = await app.http.inject({
          method: r.method as "GET",
          url,
          payload: r.method === "POST" ? { email: mine } : undefined,
        });
        expect(res.statusCode, `${r.method} ${r.url}`).toBe(401);
      }
      // No resend was created for the foreign invoices.
      const resent = await app.ctx.database.db
        .select()
        .from(deliveries)
        .where(and(inArray(deliveries.invoiceId, [foreign, bySms]), eq(deliveries.reason, "resend")));
      expect(resent).toEqual([]);
    });
  });
});
