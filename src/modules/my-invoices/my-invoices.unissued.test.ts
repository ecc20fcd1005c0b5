import { createHash } from "node:crypto";
import { asc, eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { executeSqlIn } from "../../platform/db/client";
import {
  deliveries,
  invoiceFiles,
  organizations,
  reviewRules,
  smsOutbox,
  taxBureauAccounts,
  UNISSUED_STATUS_LIST,
} from "../../platform/db/schema";
import { newId } from "../../platform/ids";
import type { MailMessage } from "../deliveries/mailer";
import { UNISSUED_SQL_LIST } from "../invoices/invoice-status";
import { issueInvoice } from "../invoices/issuing.attempt";
import { myInvoicesQuery } from "./my-invoices.queries";
import { MY_COOKIE } from "./my-invoices.routes";

const BUYER = "上海某某科技有限公司";

/**
 * 我的发票 beyond what was delivered (on both databases): the invoices without a number — held for
 * 审核开票, still issuing, failed — whose submit gave the session's contact, with their state and
 * the re-scan's reason; the OFD where the channel sent one; and the statement's plan, which must
 * reach invoices through indexes only (the partial indexes of migration 0034 among them).
 */
describeEachDatabase("我的发票: invoices without a number, OFD", (kind) => {
  let app: TestApp;
  const mails: MailMessage[] = [];
  let now = new Date();
  let orgA: { id: string; name: string };
  let orgB: { id: string; name: string };
  let ipCounter = 0;
  let contactCounter = 0;
  const freshIp = () => `203.0.113.${++ipCounter}`;
  const freshEmail = (name = "buyer") => `${name}${++contactCounter}@example.com`;

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

  /** A receipt of `orgId` submitted for BUYER with the given contact: its code's token and invoice. */
  async function submitTo(orgId: string, to: { email?: string; mobile?: string }, status: string) {
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
    expect(res.json().status, res.body).toBe(status);
    return { token: code.token, id: res.json().invoices[0].id as string };
  }
  const issueTo = async (orgId: string, to: { email?: string; mobile?: string }) =>
    (await submitTo(orgId, to, "issued")).id;

  /** An organization whose sandbox channel behaves as told (offline, reject). */
  async function orgWithChannel(name: string, settings: Record<string, unknown>) {
    const org = await makeOrganization(app.ctx.database, { name });
    await app.ctx.database.db
      .update(taxBureauAccounts)
      .set({ settings })
      .where(eq(taxBureauAccounts.orgId, org.id));
    return org;
  }

  async function lastCode(to: { email?: string; mobile?: string }): Promise<string> {
    if (to.email) {
      const code = /验证码为：(\d{6})/.exec(mails.filter((m) => m.to === to.email).at(-1)?.text ?? "")?.[1];
      if (!code) throw new Error(`no code mailed to ${to.email}`);
      return code;
    }
    const rows = await app.ctx.database.db
      .select()
      .from(smsOutbox)
      .where(eq(smsOutbox.mobile, to.mobile ?? ""))
      .orderBy(asc(smsOutbox.createdAt), asc(smsOutbox.id));
    const code = rows
      .map((r) => /验证码为?(\d{6})/.exec(r.text)?.[1])
      .filter((c) => c !== undefined)
      .at(-1);
    if (!code) throw new Error(`no code sent to ${to.mobile}`);
    return code;
  }

  /** Logs in with a code sent now: the cookie header to send. */
  async function login(to: { email?: string; mobile?: string }): Promise<string> {
    now = new Date(now.getTime() + 120_000);
    const asked = await app.http.inject({
      method: "POST",
      url: "/api/my/code",
      payload: to,
      remoteAddress: freshIp(),
    });
    expect(asked.statusCode, asked.body).toBe(202);
    const res = await app.http.inject({
      method: "POST",
      url: "/api/my/session",
      payload: { ...to, code: await lastCode(to) },
      remoteAddress: freshIp(),
    });
    expect(res.statusCode, res.body).toBe(200);
    const cookie = res.cookies.find((c) => c.name === MY_COOKIE);
    if (!cookie) throw new Error("no session cookie");
    return `${MY_COOKIE}=${cookie.value}`;
  }

  const get = (url: string, cookie: string) => app.http.inject({ method: "GET", url, headers: { cookie } });
  const list = async (cookie: string, query = "") => {
    const res = await get(`/api/my/invoices${query}`, cookie);
    expect(res.statusCode, res.body).toBe(200);
    return res.json() as {
      items: Array<{ id: string; status: string; number: string | null; failureMessage: string | null }>;
      sellers: Array<{ id: string }>;
    };
  };

  it("lists what a submit recorded for the contact: 待商家审核, 开具中 and 开具失败 with the re-scan's reason", async () => {
    // 审核开票 holds every submission of this organization.
    const reviewing = await makeOrganization(app.ctx.database, { name: "我的发票审核商店有限公司" });
    await app.ctx.database.db
      .insert(reviewRules)
      .values({ id: newId("rvr"), orgId: reviewing.id, invoiceType: "digital_normal" });
    const offline = await orgWithChannel("我的发票排队商店有限公司", { mode: "offline" });
    const refusing = await orgWithChannel("我的发票拒绝商店有限公司", {
      mode: "reject",
      message: "纳税人状态异常",
    });
    const email = freshEmail("unissued");
    // Typed in another case: the address is the same one (as deliveries are matched).
    const typed = email.toUpperCase();
    const held = await submitTo(reviewing.id, { email: typed }, "issuing");
    const queued = await submitTo(offline.id, { email: typed }, "issuing");
    const failed = await submitTo(refusing.id, { email: typed }, "failed");
    const issued = await issueTo(orgA.id, { email });
    // The same buyer, another address: never listed for this one.
    const foreign = await submitTo(refusing.id, { email: freshEmail("unissued-other") }, "failed");

    const cookie = await login({ email });
    const all = await list(cookie);
    const byId = new Map(all.items.map((i) => [i.id, i]));
    expect(all.items.map((i) => i.id).sort()).toEqual([held.id, queued.id, failed.id, issued].sort());
    expect(byId.get(held.id)).toMatchObject({
      status: "awaiting_review",
      number: null,
      failureMessage: null,
    });
    expect(byId.get(queued.id)).toMatchObject({ status: "issuing", failureMessage: null });
    expect(byId.get(issued)).toMatchObject({ status: "issued", failureMessage: null });
    // The plain sentence the re-scan page shows, never the channel's own words.
    const scan = (await app.http.inject({ url: `/api/scan/${failed.token}` })).json();
    const reason = scan.invoices[0].failureMessage as string;
    expect(reason).toBeTruthy();
    expect(byId.get(failed.id)).toMatchObject({ status: "failed", failureMessage: reason });
    expect(JSON.stringify(all)).not.toContain("纳税人状态异常");
    expect(all.sellers.map((s) => s.id).sort()).toEqual(
      [reviewing.id, offline.id, refusing.id, orgA.id].sort(),
    );
    expect((await list(cookie, `?seller=${refusing.id}`)).items.map((i) => i.id)).toEqual([failed.id]);

    // Each opens as the re-scan shows it: no files, nothing to resend yet.
    const detail = (await get(`/api/my/invoices/${failed.id}`, cookie)).json();
    expect(detail.invoices[0]).toMatchObject({
      id: failed.id,
      status: "failed",
      number: null,
      pdfUrl: null,
      ofdUrl: null,
      failureMessage: reason,
    });
    expect(detail.invoices[0].email).toMatch(/^U\*\*\*/);
    expect((await get(`/api/my/invoices/${held.id}`, cookie)).json().invoices[0].status).toBe(
      "awaiting_review",
    );
    expect((await get(`/api/my/files/${queued.id}.pdf`, cookie)).statusCode).toBe(404);
    const resend = await app.http.inject({
      method: "POST",
      url: `/api/my/invoices/${held.id}/resend`,
      headers: { cookie },
      payload: { email },
      remoteAddress: freshIp(),
    });
    expect(resend.statusCode).toBe(409);

    // Another contact's failed invoice stays out of reach.
    expect((await get(`/api/my/invoices/${foreign.id}`, cookie)).statusCode).toBe(404);

    // Issued later, it stays listed (now by its delivery), with its files.
    await app.ctx.database.db
      .update(taxBureauAccounts)
      .set({ settings: {} })
      .where(eq(taxBureauAccounts.orgId, offline.id));
    await issueInvoice(app.ctx, queued.id);
    const after = (await list(cookie)).items.find((i) => i.id === queued.id);
    expect(after?.status).toBe("issued");
    const delivered = await app.ctx.database.db
      .select()
      .from(deliveries)
      .where(eq(deliveries.invoiceId, queued.id));
    expect(delivered.map((d) => d.recipient)).toEqual([typed]);
    expect((await get(`/api/my/files/${queued.id}.pdf`, cookie)).statusCode).toBe(200);
  });

  it("matches a mobile number exactly after normalisation, on its channel only, and obeys the organization's choice", async () => {
    const refusing = await orgWithChannel("我的发票拒绝酒店有限公司", { mode: "reject" });
    const mobile = `1360000${String(1000 + contactCounter++).slice(-4)}`;
    const failed = await submitTo(
      refusing.id,
      { mobile: `+86 ${mobile.slice(0, 3)} ${mobile.slice(3)}` },
      "failed",
    );
    const email = freshEmail("sms-only");
    const mine = await login({ mobile });
    expect((await list(mine)).items.map((i) => [i.id, i.status])).toEqual([[failed.id, "failed"]]);
    // An e-mail session, and a neighbouring number, see nothing of it.
    expect((await list(await login({ email }))).items).toEqual([]);
    const neighbour = `${mobile.slice(0, 10)}${(Number(mobile.slice(10)) + 1) % 10}`;
    expect((await list(await login({ mobile: neighbour }))).items).toEqual([]);

    await app.ctx.database.db
      .update(organizations)
      .set({ myInvoicesListed: false })
      .where(eq(organizations.id, refusing.id));
    expect((await list(mine)).items).toEqual([]);
    expect((await get(`/api/my/invoices/${failed.id}`, mine)).statusCode).toBe(404);
  });

  it("writes the indexed statuses as the schema's partial indexes do", () => {
    expect(UNISSUED_SQL_LIST).toBe(UNISSUED_STATUS_LIST);
  });

  it("reaches invoices and deliveries through indexes only (the list's plan)", async () => {
    const sessions = [
      { channel: "email", contact: "plan@example.com", index: "invoices_unissued_email_idx" },
      { channel: "sms", contact: "13900000000", index: "invoices_unissued_mobile_idx" },
    ] as const;
    for (const who of sessions) {
      const month = { month: "2026-03", seller: orgA.id };
      for (const filter of [{}, month]) {
        const query = myInvoicesQuery(app.ctx.database.db, who, { ...filter, offset: 0, limit: 20 }).toSQL();
        const plan = await app.ctx.database.db.transaction(async (tx) => {
          const run = executeSqlIn(tx);
          // Whatever the tables hold: a path that is not an index scan is costed out of reach, so
          // one left in the plan is one the statement cannot avoid.
          await run("set local enable_seqscan = off", []);
          const rows = (await run(`explain ${query.sql}`, query.params)).rows;
          return rows.map((r) => String(Object.values(r as object)[0])).join("\n");
        });
        // The statuses are literals (the partial indexes' predicate), so a prepared statement's
        // generic plan can use them too, whatever the contact.
        expect(query.sql).toContain(`in (${UNISSUED_STATUS_LIST})`);
        expect(plan).not.toMatch(/Seq Scan on (invoices|deliveries)/);
        expect(plan).toContain(who.index);
        expect(plan).toContain("deliveries_recipient_idx");
      }
    }
  });

  it("offers the OFD of an invoice whose channel sent one, and not otherwise", async () => {
    const email = freshEmail("ofd");
    const sandbox = await issueTo(orgA.id, { email });
    const channel = await issueTo(orgB.id, { email });
    // What a channel's issue stores beside its PDF and XML (诺诺, 金蝶: issuing.save.ts).
    const ofd = Buffer.from("PK\u0003\u0004 OFD of the channel");
    await app.ctx.database.db.insert(invoiceFiles).values({
      invoiceId: channel,
      kind: "ofd",
      contentType: "application/ofd",
      size: ofd.length,
      sha256: createHash("sha256").update(ofd).digest("hex"),
      content: ofd,
    });
    const cookie = await login({ email });
    const view = async (id: string) => (await get(`/api/my/invoices/${id}`, cookie)).json().invoices[0];
    expect(await view(sandbox)).toMatchObject({ pdfUrl: `/api/my/files/${sandbox}.pdf`, ofdUrl: null });
    expect((await get(`/api/my/files/${sandbox}.ofd`, cookie)).statusCode).toBe(404);
    const offered = await view(channel);
    expect(offered.ofdUrl).toBe(`/api/my/files/${channel}.ofd`);
    const file = await get(offered.ofdUrl, cookie);
    expect(file.statusCode).toBe(200);
    expect(file.headers["content-type"]).toBe("application/ofd");
    expect(file.headers["content-disposition"]).toContain(`${offered.number}.ofd`);
    expect(file.rawPayload.equals(ofd)).toBe(true);
    // Another contact's session is not offered it, nor given it.
    const other = await login({ email: freshEmail("ofd-other") });
    expect((await get(`/api/my/invoices/${channel}`, other)).statusCode).toBe(404);
    expect((await get(`/api/my/files/${channel}.ofd`, other)).statusCode).toBe(404);
  });
});
