import fs from "node:fs";
import path from "node:path";
import { eq, sql } from "drizzle-orm";
import type { InjectOptions, LightMyRequestResponse } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { orgIntegrations, pendingSubmissions, smsOutbox } from "../../src/platform/db/schema";
import { registeredRoutes, toErrorResponse } from "../../src/platform/http";
import { signedHeaders, signLinkParams } from "../../src/platform/signing";
import { webBuildDir } from "../../src/platform/web";
import type { RunningStandin } from "../../src/standins/server";
import { createWechatStandin, DEFAULT_WECHAT_APP } from "../../src/standins/wechat/wechat-standin";
import { createTestApp, type TestApp } from "../support/app";
import { BAD_TEXT, BAD_YEARS, insertInto, urlEncode, wtf8 } from "../support/bad-input";
import { type ConsoleClient, loginAs, makeUser } from "../support/console";
import { databaseKinds } from "../support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../support/factories";
import {
  type AppKeys,
  type MerchantServer,
  makeCredentials,
  sendJson,
  startMerchant,
} from "../support/open-api";

/**
 * The text gate through every route (issue 13, items 3 and 4). For each registered route — the
 * public ones of /openapi.json and every console route — the table below gives a VALID request; the
 * test then replaces each string and date in its path, query and body, one at a time, with a NUL,
 * a control character, a line break, a bidi override, a lone surrogate, a non-character or a year
 * outside 1970–9999, and expects a 4xx with the API.md error body and no table changed. The valid
 * request is sent last and must succeed, so each refusal was the bad value's alone. A route missing
 * from the table fails the test: a new route must say what a valid request to it is.
 */

interface Probe {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
  /** A CSV upload (multipart, the item import): every cell is a leaf, and so is the file name. */
  upload?: { fileName: string; rows: Array<Record<string, string>> };
  /** Leaves that may hold line feeds (`body.remark`). */
  multiline?: string[];
  /** Recomputes what signs the request's own values (a 3.1.01 link), after a value changed. */
  resign?: (probe: Probe) => Probe;
  /** The valid request's status when it is not 2xx/3xx (e.g. 409 for a retry of an issued invoice). */
  validStatus?: number;
  /** A console session of its own (logging out ends it). */
  client?: ConsoleClient;
  /** A 我的发票 session's cookie (`/api/my`). */
  cookie?: string;
  /** A static page: any path under it may be served, but nothing may be stored and nothing may crash. */
  page?: boolean;
}

type Leaf = { where: "params" | "query" | "body" | "upload"; path: Array<string | number>; value: string };

function leavesOf(probe: Probe): Leaf[] {
  const out: Leaf[] = [];
  for (const where of ["params", "query"] as const) {
    for (const [k, v] of Object.entries(probe[where] ?? {})) out.push({ where, path: [k], value: v });
  }
  const walk = (value: unknown, path: Array<string | number>) => {
    if (typeof value === "string") out.push({ where: "body", path, value });
    else if (Array.isArray(value)) for (const [i, v] of value.entries()) walk(v, [...path, i]);
    else if (value && typeof value === "object")
      for (const [k, v] of Object.entries(value)) walk(v, [...path, k]);
  };
  walk(probe.body, []);
  if (probe.upload) {
    out.push({ where: "upload", path: ["fileName"], value: probe.upload.fileName });
    probe.upload.rows.forEach((row, i) => {
      for (const [k, v] of Object.entries(row)) out.push({ where: "upload", path: ["rows", i, k], value: v });
    });
  }
  return out;
}

function withLeaf(probe: Probe, leaf: Leaf, value: string): Probe {
  const { client, resign, ...data } = probe;
  const copy: Probe = { ...structuredClone(data), client, resign };
  const holder = leaf.where === "body" ? copy : leaf.where === "upload" ? copy.upload : copy[leaf.where];
  const path = leaf.where === "body" ? ["body", ...leaf.path] : leaf.path;
  let target = holder as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
  target[path[path.length - 1]!] = value;
  // A changed signature stays changed; any other value is signed again, so only the gate can refuse it.
  const isSignature = leaf.where === "query" && leaf.path[0] === "sig";
  return resign && !isSignature ? resign(copy) : copy;
}

const DATE = /^(\d{4})-\d{2}-\d{2}/;

/** Every bad version of a leaf: the bad characters in its middle, and bad years for a date. */
function mutationsOf(leaf: Leaf, multiline: boolean): Array<{ name: string; value: string }> {
  // A multipart file name with bytes that are not UTF-8 is decoded by busboy with U+FFFD (a known
  // gap: the name is only written to the audit log, and without the bad bytes).
  const isFileName = leaf.where === "upload" && leaf.path[0] === "fileName";
  const bad = BAD_TEXT.filter(
    (b) => !(multiline && b.lineBreak) && !(isFileName && b.name === "lone surrogate"),
  );
  const out = bad.map((b) => ({
    name: b.name,
    value: insertInto(leaf.value, b.text),
  }));
  const date = DATE.exec(leaf.value);
  if (date)
    for (const year of BAD_YEARS) out.push({ name: `year ${year}`, value: year + leaf.value.slice(4) });
  return out;
}

const CSV_COLUMNS = ["code", "name", "shortName", "taxCode", "taxRate", "spec", "unit", "unitPrice"];

function multipart(upload: NonNullable<Probe["upload"]>): { payload: Buffer; contentType: string } {
  const boundary = "----piaoma-gate-test";
  const cell = (v: string) => `"${v.replaceAll('"', '""')}"`;
  const csv = [
    CSV_COLUMNS.join(","),
    ...upload.rows.map((r) => CSV_COLUMNS.map((c) => cell(r[c] ?? "")).join(",")),
  ]
    .join("\r\n")
    .concat("\r\n");
  const payload = Buffer.concat([
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="`),
    wtf8(upload.fileName),
    Buffer.from(`"\r\nContent-Type: text/csv\r\n\r\n`),
    wtf8(csv),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { payload, contentType: `multipart/form-data; boundary=${boundary}` };
}

for (const kind of databaseKinds()) {
  describe(`every string and date of every route passes the text gate [${kind}]`, () => {
    let app: TestApp;
    let merchant: MerchantServer;
    let wechat: RunningStandin;
    let admin: ConsoleClient;
    let keys: AppKeys;
    let orgId: string;
    let taxAccountId: string;
    let deviceId: string;
    let itemId: string;
    let counter = 0;
    const unique = (prefix: string) => `${prefix}-${Date.now() % 1_000_000}-${++counter}`;

    const lunch = {
      name: "午餐",
      shortName: "餐饮服务",
      taxCode: "3070401000000000000",
      taxRate: "0.06",
      amount: "88.00",
      spec: "大份",
      unit: "份",
    };
    const order = () => ({
      orderTime: "2026-01-15T12:30:00+08:00",
      deviceNo: "POS-01",
      invoiceTypes: ["digital_normal", "digital_special"],
      defaultInvoiceType: "digital_normal",
      priceIncludesTax: true,
      expiresAt: "2099-01-01T00:00:00+08:00",
      drawer: "张三",
      payee: "李四",
      reviewer: "王五",
      remark: "桌号 12\n人数 4",
      receiptFooter: "请在30天内扫码开票",
      lines: [
        { itemCode: "MILK-1L", quantity: "2", unitPrice: "12.50", amount: "25.00", discount: "-5.00" },
        { kind: "normal", ...lunch },
      ],
      notify: { email: "a@example.com", mobile: "13800138000" },
    });
    const multilineOrder = ["body.remark", "body.receiptFooter"];
    const submitBody = () => ({
      invoiceType: "digital_normal",
      buyer: {
        type: "enterprise",
        name: "北京某某科技有限公司",
        taxId: makeUscc("91110000"),
        address: "北京市海淀区中关村大街1号",
        phone: "010-12345678",
        bankName: "中国银行北京分行",
        bankAccount: "1234567890",
      },
      email: "buyer@example.com",
      mobile: "13800138000",
    });

    /** A receipt code of org A with an issued invoice. */
    async function issued() {
      const code = await makeReceiptCode(app.ctx, orgId);
      const res = await app.http.inject({
        method: "POST",
        url: `/api/scan/${code.token}/submit`,
        payload: submitBody(),
      });
      expect(res.statusCode, res.body).toBe(202);
      const invoice = res.json().invoices[0] as { id: string; status: string };
      expect(invoice.status).toBe("issued");
      return { code, invoiceId: invoice.id };
    }
    let mobiles = 0;
    const freshMobile = () => `1370013${String(++mobiles).padStart(4, "0")}`;
    /** A 我的发票 login code sent by SMS (the log provider keeps it in sms_outbox). */
    async function myCode(mobile: string): Promise<string> {
      const res = await app.http.inject({ method: "POST", url: "/api/my/code", payload: { mobile } });
      expect(res.statusCode, res.body).toBe(202);
      const rows = await app.ctx.database.db.select().from(smsOutbox).where(eq(smsOutbox.mobile, mobile));
      const code = rows
        .map((r) => /验证码为?(\d{6})/.exec(r.text)?.[1])
        .filter(Boolean)
        .at(-1);
      if (!code) throw new Error("no 我的发票 code in sms_outbox");
      return code;
    }
    /** A 我的发票 session of the number the issued invoices are sent to (submitBody's). */
    async function mySession(mobile = "13800138000"): Promise<string> {
      const code = await myCode(mobile);
      const res = await app.http.inject({
        method: "POST",
        url: "/api/my/session",
        payload: { mobile, code },
      });
      expect(res.statusCode, res.body).toBe(200);
      return `piaoma_my=${res.cookies.find((c) => c.name === "piaoma_my")?.value}`;
    }
    let ownSession: Promise<string> | undefined;
    const own = () => {
      ownSession ??= mySession();
      return ownSession;
    };
    async function pushed() {
      const orderNo = unique("ORD");
      const res = await send("POST", "/open/v1/receipt-codes", { body: { orderNo, ...order() } });
      expect(res.statusCode, res.body).toBe(201);
      return orderNo;
    }
    async function freshKey() {
      const res = await admin.post(`/orgs/${orgId}/credentials`, { label: "临时" });
      expect(res.statusCode, res.body).toBe(201);
      return res.json().appKey as string;
    }
    /** A 门店码 of org A, created in the console. */
    async function storeCode() {
      const res = await admin.post(`/orgs/${orgId}/store-codes`, { name: unique("桌") });
      expect(res.statusCode, res.body).toBe(201);
      return res.json() as { id: string; token: string };
    }
    /** A buyer waiting on a 门店码 to be matched: its id and its page's token. */
    async function pending() {
      const res = await app.http.inject({
        method: "POST",
        url: `/api/store/${(await storeCode()).token}/submissions`,
        payload: submitBody(),
      });
      expect(res.statusCode, res.body).toBe(201);
      const token = res.json().token as string;
      const [row] = await app.ctx.database.db
        .select()
        .from(pendingSubmissions)
        .where(eq(pendingSubmissions.token, token));
      return { id: row!.id, token };
    }
    const itemBody = (code: string) => ({
      code,
      name: "纯牛奶",
      shortName: "乳制品",
      taxCode: "1030101000000000000",
      taxRate: "0.13",
      spec: "1L",
      unit: "盒装",
      unitPrice: "12.50",
      priceIncludesTax: true,
      isActive: true,
    });
    const linkProbe = (o: string): Probe => {
      const sign = (p: Probe): Probe => {
        const { sig: _old, ...signed } = p.query ?? {};
        return { ...p, query: { ...signed, sig: signLinkParams(keys.appSecret, signed) } };
      };
      return {
        params: { appKey: keys.appKey },
        ...sign({ query: { o, a: "108.00", t: String(Math.floor(Date.now() / 1000)), d: "POS-01" } }),
        resign: sign,
      };
    };
    const receiptCodeBody = (copiedFromId?: string) => ({
      serialNo: unique("SN"),
      taxAccountId,
      ...order(),
      ...(copiedFromId ? { copiedFromId } : {}),
    });
    const correctionBody = (invoiceId: string) => ({
      invoiceId,
      invoiceIds: [invoiceId],
      reason: "title",
      note: "抬头少了一个字",
      invoiceType: "digital_normal",
      buyer: { type: "enterprise", name: "深圳正确名称有限公司", taxId: makeUscc("91440300") },
      email: "right@example.com",
      mobile: "13800138000",
    });
    /** An issued code with a pending 换开 request. */
    async function corrected() {
      const { code, invoiceId } = await issued();
      const res = await app.http.inject({
        method: "POST",
        url: `/api/scan/${code.token}/corrections`,
        payload: correctionBody(invoiceId),
      });
      expect(res.statusCode, res.body).toBe(201);
      return { token: code.token, id: res.json().id as string };
    }
    const filters = {
      from: "2026-01-01",
      to: "2099-12-31",
      status: "issued",
      color: "blue",
      invoiceType: "digital_normal",
      deviceNo: "POS-01",
      source: "manual",
      buyer: "北京",
      number: "2",
      serialNo: "T-",
    };

    /** The valid request of each route: `METHOD /pattern` → probe. */
    const VALID: Record<string, () => Promise<Probe> | Probe> = {
      // Operations and documentation pages.
      "GET /health": () => ({}),
      "GET /openapi.json": () => ({}),
      "GET /docs": () => ({}),
      "GET /docs/json": () => ({}),
      "GET /docs/yaml": () => ({}),
      "GET /docs/static/index.html": () => ({}),
      "GET /docs/static/swagger-initializer.js": () => ({}),
      "GET /docs/static/*": () => ({ params: { "*": "swagger-ui.css" }, page: true }),
      "GET /": () => ({}),
      "GET /admin": () => ({}),
      "GET /s": () => ({}),
      "GET /my": () => ({}),
      "GET /my/*": () => ({ params: { "*": "invoices" }, page: true }),
      "GET /admin/*": () => ({ params: { "*": "invoices" }, page: true }),
      "GET /assets/*": () => ({
        params: { "*": fs.readdirSync(path.join(webBuildDir, "assets"))[0]! },
        page: true,
      }),
      "GET /m/:token": async () => ({ params: { token: (await storeCode()).token }, page: true }),
      "GET /m/p/:token": async () => ({ params: { token: (await pending()).token }, page: true }),
      // 门店码's consumer API.
      "GET /api/store/:token": async () => ({ params: { token: (await storeCode()).token } }),
      "POST /api/store/:token/submissions": async () => ({
        params: { token: (await storeCode()).token },
        body: { ...submitBody(), amount: "88.00", receiptNo: "R-0001" },
      }),
      "GET /api/pending/:token": async () => ({ params: { token: (await pending()).token } }),
      "GET /s/:token": async () => ({
        params: { token: (await makeReceiptCode(app.ctx, orgId)).token },
        page: true,
      }),
      // The channels' callbacks: a valid callback naming no invoice of ours is NOT_FOUND.
      "POST /channels/nuonuo/callback": () => ({
        body: {
          operater: "callback",
          orderno: "P01JZZZZZZZZZZZZZZZZ",
          content: JSON.stringify({
            c_status: "1",
            c_orderno: "P01JZZZZZZZZZZZZZZZZ",
            c_kprq: 1767000000000,
          }),
        },
        validStatus: 404,
      }),
      "POST /channels/kingdee/callback": () => ({
        body: {
          returnMsg: "success",
          returnCode: "0",
          interfaceCode: "INVOICE.OPEN",
          data: Buffer.from(JSON.stringify({ serialNo: "PM01JZZZZZZZZZZZZZZZZZZZZZZZ" })).toString("base64"),
        },
        validStatus: 404,
      }),
      // The consumer page's API.
      "GET /api/scan/:token": async () => ({
        params: { token: (await makeReceiptCode(app.ctx, orgId)).token },
      }),
      "POST /api/scan/:token/submit": async () => ({
        params: { token: (await makeReceiptCode(app.ctx, orgId)).token },
        body: submitBody(),
      }),
      "GET /api/scan/:token/titles": async () => ({
        params: { token: (await makeReceiptCode(app.ctx, orgId)).token },
        query: { q: "北京" },
      }),
      // The organization of this test has no 公众号: the gate is checked, the valid request is a 404.
      "POST /api/scan/:token/wechat-config": async () => {
        const token = (await makeReceiptCode(app.ctx, orgId)).token;
        return { params: { token }, body: { url: `${app.config.publicUrl}/s/${token}` }, validStatus: 404 };
      },
      // 微信卡包: the organization of this test has no 卡包 either (404 after the gate and the lookup).
      "POST /api/scan/:token/invoices/:invoiceId/wechat-card": async () => {
        const { code, invoiceId } = await issued();
        return { params: { token: code.token, invoiceId }, validStatus: 404 };
      },
      "POST /api/scan/:token/invoices/:invoiceId/wechat-card/check": async () => {
        const { code, invoiceId } = await issued();
        return { params: { token: code.token, invoiceId }, validStatus: 404 };
      },
      // WeChat's card event: answered "success" whatever it names (an unknown order changes nothing).
      "POST /wechat/card-events/:orgId": () => ({ params: { orgId } }),
      // 输入开票码 and 合并开票 (merging is off by default: the valid request is refused by that rule).
      "POST /api/scan/lookup": async () => ({
        body: { code: (await makeReceiptCode(app.ctx, orgId)).shortCode },
      }),
      "POST /api/scan/:token/merge": async () => ({
        params: { token: (await makeReceiptCode(app.ctx, orgId)).token },
        body: { codes: [(await makeReceiptCode(app.ctx, orgId)).shortCode] },
        validStatus: 422,
      }),
      "POST /api/scan/:token/resend": async () => ({
        params: { token: (await issued()).code.token },
        body: { email: "again@example.com" },
      }),
      "GET /api/scan/:token/invoices/:file": async () => {
        const { code, invoiceId } = await issued();
        return { params: { token: code.token, file: `${invoiceId}.pdf` } };
      },
      // 我的发票 (/api/my): the login, then the invoices sent to the session's number.
      "POST /api/my/code": () => ({ body: { mobile: freshMobile() } }),
      "POST /api/my/session": async () => {
        const mobile = freshMobile();
        return { body: { mobile, code: await myCode(mobile) } };
      },
      "GET /api/my/session": async () => ({ cookie: await own() }),
      "DELETE /api/my/session": async () => ({ cookie: await mySession(freshMobile()), validStatus: 204 }),
      "GET /api/my/invoices": async () => ({
        cookie: await own(),
        query: { seller: orgId, month: "2026-01", page: "1" },
      }),
      "GET /api/my/invoices/:id": async () => {
        const { invoiceId } = await issued();
        return { cookie: await own(), params: { id: invoiceId } };
      },
      "POST /api/my/invoices/:id/resend": async () => {
        const { invoiceId } = await issued();
        return {
          cookie: await own(),
          params: { id: invoiceId },
          body: { email: "again-my@example.com" },
        };
      },
      "GET /api/my/files/:file": async () => {
        const { invoiceId } = await issued();
        return { cookie: await own(), params: { file: `${invoiceId}.pdf` } };
      },
      // The merchant open API (signed).
      "POST /open/v1/receipt-codes": () => ({
        body: { orderNo: unique("ORD"), ...order() },
        multiline: multilineOrder,
      }),
      "GET /open/v1/receipt-codes/:orderNo": async () => ({ params: { orderNo: await pushed() } }),
      "GET /open/v1/receipt-codes/:orderNo/qr.png": async () => ({ params: { orderNo: await pushed() } }),
      "GET /open/v1/receipt-codes/:orderNo/qr.svg": async () => ({ params: { orderNo: await pushed() } }),
      "POST /open/v1/receipt-codes/:orderNo/disable": async () => ({ params: { orderNo: await pushed() } }),
      "GET /open/v1/pending-submissions": () => ({ query: { status: "waiting", page: "1", pageSize: "20" } }),
      "POST /open/v1/pending-submissions/:id/match": async () => ({
        params: { id: (await pending()).id },
        body: { orderNo: await pushed() },
      }),
      "GET /open/v1/invoices": async () => ({ query: { orderNo: (await issued()).code.serialNo } }),
      "GET /open/v1/invoices/:id": async () => ({ params: { id: (await issued()).invoiceId } }),
      "POST /open/v1/invoices/:id/reverse": async () => ({
        params: { id: (await issued()).invoiceId },
        body: { reason: "销货退回" },
      }),
      "GET /files/invoices/:file": async () => {
        const { invoiceId } = await issued();
        const res = await send("GET", `/open/v1/invoices/${invoiceId}`, {});
        const link = new URL(res.json().pdfUrl as string);
        return {
          params: { file: link.pathname.split("/").pop()! },
          query: Object.fromEntries(link.searchParams),
        };
      },
      "GET /q/:appKey": () => linkProbe(unique("LINK")),
      // The console.
      "POST /api/console/session": async () => {
        const user = await makeUser(app.ctx.database, { orgIds: [orgId], role: "viewer" });
        return { body: { username: user.username, password: user.password } };
      },
      "GET /api/console/session": () => ({}),
      "DELETE /api/console/session": async () => {
        const user = await makeUser(app.ctx.database, { orgIds: [orgId], role: "viewer" });
        return { client: await loginAs(app, user.username, user.password) };
      },
      "PUT /api/console/session/password": async () => {
        const user = await makeUser(app.ctx.database, { orgIds: [orgId], role: "viewer" });
        return {
          client: await loginAs(app, user.username, user.password),
          body: { currentPassword: user.password, newPassword: "password-new-1" },
        };
      },
      "GET /api/console/orgs": () => ({}),
      "POST /api/console/orgs": () => ({
        body: {
          name: "上海某某餐饮有限公司",
          taxId: makeUscc("91310000"),
          address: "上海市黄浦区南京东路1号",
          phone: "021-12345678",
          bankName: "招商银行上海分行",
          bankAccount: "6225 8801 2345",
        },
      }),
      "GET /api/console/orgs/:orgId": () => ({ params: { orgId } }),
      "GET /api/console/orgs/:orgId/integrations": () => ({ params: { orgId } }),
      "PUT /api/console/orgs/:orgId/integrations": () => ({
        params: { orgId },
        body: {
          wechatAppId: "wx0123456789abcdef",
          wechatSecret: "0123456789abcdef0123456789abcdef",
          titleProvider: "tianyancha",
          titleProviderKey: "tyc-key-0123456789",
        },
      }),
      // 开通微信卡包: an organization of its own with the stand-in's 公众号 (the valid request runs all three steps).
      "POST /api/console/orgs/:orgId/integrations/wechat-card": async () => {
        const org = await makeOrganization(app.ctx.database, { name: "卡包测试有限公司" });
        await app.ctx.database.db.insert(orgIntegrations).values({
          orgId: org.id,
          wechatAppId: DEFAULT_WECHAT_APP.appId,
          wechatSecretCiphertext: app.ctx.keyring.encrypt(DEFAULT_WECHAT_APP.secret),
        });
        const user = await makeUser(app.ctx.database, { orgIds: [org.id], role: "admin" });
        return {
          client: await loginAs(app, user.username, user.password),
          params: { orgId: org.id },
          body: {
            contactPhone: "0571-88886666",
            title: "卡包测试",
            logoUrl: "https://mmbiz.qpic.cn/logo.png",
            payee: "卡包测试有限公司",
          },
        };
      },
      "PUT /api/console/orgs/:orgId": async () => {
        const org = (await admin.get(`/orgs/${orgId}`)).json();
        return {
          params: { orgId },
          body: {
            name: org.name,
            taxId: org.taxId,
            address: "深圳市南山区科技园",
            phone: "0755-12345678",
            bankName: "中国银行深圳分行",
            bankAccount: "1234567890",
          },
        };
      },
      "GET /api/console/orgs/:orgId/config": () => ({ params: { orgId } }),
      "PUT /api/console/orgs/:orgId/config": () => ({
        params: { orgId },
        body: {
          limit: "100000.00",
          invoiceTypes: ["digital_normal", "digital_special"],
          defaultInvoiceType: "digital_normal",
          validDays: 30,
          overLimitPolicy: "split",
          defaultDrawer: "张会计",
          defaultPayee: "李出纳",
          defaultReviewer: "王复核",
          defaultTaxAccountId: taxAccountId,
        },
      }),
      "GET /api/console/orgs/:orgId/tax-accounts": () => ({ params: { orgId } }),
      "GET /api/console/orgs/:orgId/tax-account-channels": () => ({ params: { orgId } }),
      "POST /api/console/orgs/:orgId/tax-accounts/:id/test": () => ({ params: { orgId, id: taxAccountId } }),
      "POST /api/console/orgs/:orgId/tax-accounts/:id/reauth": () => ({
        params: { orgId, id: taxAccountId },
        body: {},
      }),
      "POST /api/console/orgs/:orgId/tax-accounts": () => ({
        params: { orgId },
        body: { name: "沙箱账号二", channel: "sandbox", status: "online" },
      }),
      "PUT /api/console/orgs/:orgId/tax-accounts/:id": () => ({
        params: { orgId, id: taxAccountId },
        body: { name: "沙箱账号", channel: "sandbox", status: "online" },
      }),
      "GET /api/console/orgs/:orgId/devices": () => ({ params: { orgId } }),
      "POST /api/console/orgs/:orgId/devices": () => ({
        params: { orgId },
        body: { deviceNo: unique("POS"), name: "二号收银台", location: "二楼", isActive: true },
      }),
      "PUT /api/console/orgs/:orgId/devices/:id": () => ({
        params: { orgId, id: deviceId },
        body: { deviceNo: "POS-01", name: "一号收银台", location: "一楼", isActive: true },
      }),
      "GET /api/console/orgs/:orgId/items": () => ({
        params: { orgId },
        query: { q: "牛奶", includeInactive: "true", page: "1", pageSize: "20" },
      }),
      "POST /api/console/orgs/:orgId/items": () => ({ params: { orgId }, body: itemBody(unique("ITEM")) }),
      "PUT /api/console/orgs/:orgId/items/:id": () => ({
        params: { orgId, id: itemId },
        body: itemBody("MILK-1L"),
      }),
      "POST /api/console/orgs/:orgId/items/import": () => {
        const { priceIncludesTax: _p, isActive: _a, ...row } = itemBody(unique("IMP"));
        return {
          params: { orgId },
          query: { skipBadRows: "false" },
          upload: { fileName: "开票项.csv", rows: [row] },
        };
      },
      "GET /api/console/orgs/:orgId/tax-codes": () => ({ params: { orgId }, query: { q: "餐饮" } }),
      "GET /api/console/orgs/:orgId/receipt-codes/next-serial": () => ({
        params: { orgId },
        query: { deviceNo: "POS-01" },
      }),
      "GET /api/console/orgs/:orgId/receipt-codes": () => ({
        params: { orgId },
        query: {
          serialNo: "T-",
          deviceNo: "POS-01",
          status: "active",
          source: "manual",
          from: "2026-01-01",
          to: "2099-12-31",
          page: "1",
          pageSize: "20",
        },
      }),
      "POST /api/console/orgs/:orgId/receipt-codes": async () => ({
        params: { orgId },
        body: receiptCodeBody((await makeReceiptCode(app.ctx, orgId)).id),
        multiline: multilineOrder,
      }),
      "POST /api/console/orgs/:orgId/receipt-codes/preview": () => ({
        params: { orgId },
        body: receiptCodeBody(),
        multiline: multilineOrder,
      }),
      "GET /api/console/orgs/:orgId/receipt-codes/:id": async () => ({
        params: { orgId, id: (await makeReceiptCode(app.ctx, orgId)).id },
      }),
      "PUT /api/console/orgs/:orgId/receipt-codes/:id": async () => ({
        params: { orgId, id: (await makeReceiptCode(app.ctx, orgId)).id },
        body: receiptCodeBody(),
        multiline: multilineOrder,
      }),
      "POST /api/console/orgs/:orgId/receipt-codes/:id/disable": async () => ({
        params: { orgId, id: (await makeReceiptCode(app.ctx, orgId)).id },
      }),
      "POST /api/console/orgs/:orgId/receipt-codes/bulk/disable": async () => ({
        params: { orgId },
        body: {
          ids: [(await makeReceiptCode(app.ctx, orgId)).id, (await makeReceiptCode(app.ctx, orgId)).id],
        },
      }),
      "POST /api/console/orgs/:orgId/receipt-codes/bulk/slips.pdf": async () => ({
        params: { orgId },
        body: { ids: [(await makeReceiptCode(app.ctx, orgId)).id] },
      }),
      "GET /api/console/orgs/:orgId/receipt-codes/:id/history": async () => ({
        params: { orgId, id: (await makeReceiptCode(app.ctx, orgId)).id },
      }),
      "GET /api/console/orgs/:orgId/store-codes": () => ({ params: { orgId } }),
      "POST /api/console/orgs/:orgId/store-codes": () => ({
        params: { orgId },
        body: { name: unique("桌") },
      }),
      "POST /api/console/orgs/:orgId/store-codes/:id/disable": async () => ({
        params: { orgId, id: (await storeCode()).id },
      }),
      "POST /api/console/orgs/:orgId/store-codes/:id/enable": async () => ({
        params: { orgId, id: (await storeCode()).id },
      }),
      "GET /api/console/orgs/:orgId/store-codes/:id/card.pdf": async () => ({
        params: { orgId, id: (await storeCode()).id },
      }),
      "GET /api/console/orgs/:orgId/pending-submissions": () => ({
        params: { orgId },
        query: { status: "waiting", page: "1", pageSize: "20" },
      }),
      "POST /api/console/orgs/:orgId/pending-submissions/:id/match": async () => ({
        params: { orgId, id: (await pending()).id },
        body: { orderNo: (await makeReceiptCode(app.ctx, orgId)).serialNo },
      }),
      "POST /api/console/orgs/:orgId/pending-submissions/:id/dismiss": async () => ({
        params: { orgId, id: (await pending()).id },
      }),
      "GET /api/console/orgs/:orgId/receipt-codes/:id/slip.pdf": async () => ({
        params: { orgId, id: (await makeReceiptCode(app.ctx, orgId)).id },
        query: { format: "58mm" },
      }),
      "GET /api/console/users": () => ({}),
      "POST /api/console/users": () => ({
        body: {
          username: unique("clerk").replaceAll("-", "_"),
          password: "password-456",
          displayName: "开票员",
          memberships: [{ orgId, role: "operator", isActive: true }],
        },
      }),
      "PUT /api/console/users/:id": async () => {
        const user = await makeUser(app.ctx.database, { orgIds: [orgId], role: "viewer" });
        return {
          params: { id: user.id },
          body: {
            displayName: "复核员",
            memberships: [{ orgId, role: "operator", isActive: true }],
            password: "password-789",
            unlock: true,
          },
        };
      },
      "GET /api/console/orgs/:orgId/audit": () => ({
        params: { orgId },
        query: { action: "item.create", entityId: itemId, page: "1", pageSize: "20" },
      }),
      "GET /api/console/orgs/:orgId/credentials": () => ({ params: { orgId } }),
      "POST /api/console/orgs/:orgId/credentials": () => ({ params: { orgId }, body: { label: "收银系统" } }),
      "POST /api/console/orgs/:orgId/credentials/:appKey/revoke": async () => ({
        params: { orgId, appKey: await freshKey() },
      }),
      "POST /api/console/orgs/:orgId/credentials/:appKey/rotate": async () => ({
        params: { orgId, appKey: await freshKey() },
        body: { revokeOld: false },
      }),
      "GET /api/console/orgs/:orgId/open-api": () => ({ params: { orgId } }),
      "PUT /api/console/orgs/:orgId/open-api": () => ({
        params: { orgId },
        body: { orderQueryUrl: `${merchant.url}/orders/query`, webhookUrl: `${merchant.url}/webhooks` },
      }),
      "POST /api/console/orgs/:orgId/open-api/webhook-test": () => ({ params: { orgId } }),
      "GET /api/console/orgs/:orgId/webhook-events": () => ({ params: { orgId } }),
      "POST /api/console/orgs/:orgId/webhook-events/:eventId/redeliver": async () => {
        const sent = await admin.post(`/orgs/${orgId}/open-api/webhook-test`);
        return { params: { orgId, eventId: sent.json().eventId } };
      },
      "GET /api/console/orgs/:orgId/invoices": () => ({
        params: { orgId },
        query: { ...filters, page: "1", pageSize: "20" },
      }),
      "GET /api/console/invoices": () => ({ query: { ...filters, page: "1", pageSize: "20" } }),
      "GET /api/console/orgs/:orgId/invoices/export.xlsx": () => ({
        params: { orgId },
        query: { ...filters, lines: "1" },
      }),
      "GET /api/console/invoices/export.xlsx": () => ({ query: { ...filters, lines: "1" } }),
      "GET /api/console/orgs/:orgId/invoices/export.csv": () => ({
        params: { orgId },
        query: { ...filters, lines: "1" },
      }),
      "GET /api/console/invoices/export.csv": () => ({ query: { ...filters, lines: "0" } }),
      "GET /api/console/orgs/:orgId/invoices/summary": () => ({ params: { orgId }, query: { ...filters } }),
      "GET /api/console/invoices/summary": () => ({ query: { ...filters } }),
      "POST /api/console/orgs/:orgId/invoices/bulk/export": async () => ({
        params: { orgId },
        body: { ids: [(await issued()).invoiceId], format: "csv", lines: true },
      }),
      "POST /api/console/orgs/:orgId/invoices/bulk/resend": async () => ({
        params: { orgId },
        body: { ids: [(await issued()).invoiceId] },
      }),
      "POST /api/console/orgs/:orgId/invoices/bulk/pdf.zip": async () => ({
        params: { orgId },
        body: { ids: [(await issued()).invoiceId] },
      }),
      "GET /api/console/orgs/:orgId/invoices/:id": async () => ({
        params: { orgId, id: (await issued()).invoiceId },
      }),
      "GET /api/console/orgs/:orgId/invoices/:id/files/:kind": async () => ({
        params: { orgId, id: (await issued()).invoiceId, kind: "pdf" },
      }),
      "POST /api/console/orgs/:orgId/invoices/:id/resend": async () => ({
        params: { orgId, id: (await issued()).invoiceId },
        body: { email: "again@example.com", mobile: "13900139000" },
      }),
      "POST /api/console/orgs/:orgId/invoices/:id/reverse": async () => ({
        params: { orgId, id: (await issued()).invoiceId },
        body: { reason: "开票有误" },
      }),
      // Only a sandbox red invoice waiting for its 确认单 can be decided: a blue one is not found.
      "POST /api/console/orgs/:orgId/invoices/:id/sandbox-confirmation": async () => ({
        params: { orgId, id: (await issued()).invoiceId },
        body: { decision: "confirmed" },
        validStatus: 404,
      }),
      // Only a failed invoice can be retried: an issued one answers 409 — after its id was looked up.
      "POST /api/console/orgs/:orgId/invoices/:id/retry": async () => ({
        params: { orgId, id: (await issued()).invoiceId },
        validStatus: 409,
      }),
      "GET /api/console/stats": () => ({ query: { orgId, from: "2026-01-01", to: "2026-03-31" } }),
      // 审核开票: the rules; a decision on an invoice no rule held answers 409 (after the lookup).
      // SMS: the organization's sign name and template; the gateways' delivery reports (the test app
      // sets no report token, so a well-formed report is answered 404, after its body was checked).
      "GET /api/console/orgs/:orgId/sms-settings": () => ({ params: { orgId } }),
      "PUT /api/console/orgs/:orgId/sms-settings": () => ({
        params: { orgId },
        body: { signName: "票码测试", templateCode: "SMS_123456" },
      }),
      "POST /sms/aliyun/report/:token": () => ({
        params: { token: "report-token" },
        body: [{ biz_id: "123^456", success: true, err_code: "DELIVERED", err_msg: "用户接收成功" }],
        validStatus: 404,
      }),
      "POST /sms/tencent/report/:token": () => ({
        params: { token: "report-token" },
        body: [
          { sid: "2019:123", report_status: "SUCCESS", errmsg: "DELIVRD", description: "用户短信送达成功" },
        ],
        validStatus: 404,
      }),
      // The daily digest: one's own setting, and the e-mail's signed unsubscribe link (a small page).
      "GET /api/console/me/digest": () => ({}),
      "PUT /api/console/me/digest": () => ({ body: { email: "finance@example.com", dailyDigest: true } }),
      "GET /digest/unsubscribe": async () => {
        const user = await makeUser(app.ctx.database, { orgIds: [orgId], role: "viewer" });
        return {
          query: { u: user.id, s: app.ctx.keyring.signLink(`digest-unsubscribe:${user.id}`) },
          page: true,
        };
      },
      "GET /api/console/orgs/:orgId/review-rules": () => ({ params: { orgId } }),
      "POST /api/console/orgs/:orgId/review-rules": () => ({
        params: { orgId },
        body: {
          source: "push",
          invoiceType: "digital_special",
          minAmount: "100000.00",
          buyerType: "personal",
        },
        validStatus: 201,
      }),
      "DELETE /api/console/orgs/:orgId/review-rules/:id": async () => {
        const made = await admin.post(`/orgs/${orgId}/review-rules`, { source: "link" });
        return { params: { orgId, id: made.json().id as string }, validStatus: 204 };
      },
      "POST /api/console/orgs/:orgId/invoices/:id/approve": async () => ({
        params: { orgId, id: (await issued()).invoiceId },
        validStatus: 409,
      }),
      "POST /api/console/orgs/:orgId/invoices/:id/decline": async () => ({
        params: { orgId, id: (await issued()).invoiceId },
        body: { reason: "订单信息有误" },
        validStatus: 409,
      }),
      // 异常中心: an issued invoice is no exception of the kind named (409 after the lookup).
      "GET /api/console/exceptions": () => ({ query: { orgId, kind: "invoice_failed" } }),
      "GET /api/console/exceptions/counts": () => ({ query: { orgId } }),
      "POST /api/console/orgs/:orgId/exceptions/:kind/:id/action": async () => ({
        params: { orgId, kind: "invoice_failed", id: (await issued()).invoiceId },
        validStatus: 409,
      }),
      // 退款: a pushed order not yet invoiced is reduced by the refunded line; the console's lists.
      "POST /open/v1/receipt-codes/:orderNo/refunds": async () => ({
        params: { orderNo: await pushed() },
        body: { refundNo: unique("R"), reason: "销货退回", lines: [{ lineNo: 1, quantity: "1" }] },
        validStatus: 201,
      }),
      "GET /api/console/orgs/:orgId/receipt-codes/:id/refunds": async () => ({
        params: { orgId, id: (await issued()).code.id },
      }),
      "GET /api/console/orgs/:orgId/invoices/:id/refunds": async () => ({
        params: { orgId, id: (await issued()).invoiceId },
      }),
      // 换开: the consumer's request on an issued code, the console's list and decisions on a pending
      // one, and 红冲并重开 of an issued invoice.
      "POST /api/scan/:token/corrections": async () => {
        const { code, invoiceId } = await issued();
        return { params: { token: code.token }, body: correctionBody(invoiceId), validStatus: 201 };
      },
      "GET /api/scan/:token/corrections": async () => ({ params: { token: (await corrected()).token } }),
      "GET /api/console/orgs/:orgId/corrections": () => ({ params: { orgId }, query: { status: "pending" } }),
      "POST /api/console/orgs/:orgId/corrections/:id/approve": async () => ({
        params: { orgId, id: (await corrected()).id },
      }),
      "POST /api/console/orgs/:orgId/corrections/:id/refuse": async () => ({
        params: { orgId, id: (await corrected()).id },
        body: { reason: "抬头与营业执照不符" },
      }),
      "POST /api/console/orgs/:orgId/invoices/:id/reissue": async () => ({
        params: { orgId, id: (await issued()).invoiceId },
        body: {
          invoiceType: "digital_normal",
          buyer: { type: "enterprise", name: "深圳正确名称有限公司", taxId: makeUscc("91440300") },
          email: "right@example.com",
          mobile: "13800138000",
        },
        validStatus: 201,
      }),
      "GET /api/console/orgs/:orgId/exception-settings": () => ({ params: { orgId } }),
      "PUT /api/console/orgs/:orgId/exception-settings": () => ({
        params: { orgId },
        body: { stuckMinutes: 45, expiringDays: 5, creditThreshold: "5000.00" },
      }),
    };

    function urlOf(pattern: string, probe: Probe): string {
      const path = pattern.replace(/:(\w+)|\*/g, (m, name: string | undefined) =>
        urlEncode(probe.params?.[name ?? "*"] ?? m),
      );
      const query = Object.entries(probe.query ?? {})
        .map(([k, v]) => `${urlEncode(k)}=${urlEncode(v)}`)
        .join("&");
      return query ? `${path}?${query}` : path;
    }

    function send(method: string, pattern: string, probe: Probe): Promise<LightMyRequestResponse> {
      const url = urlOf(pattern, probe);
      const headers: Record<string, string> = {};
      let payload: string | Buffer | undefined;
      if (probe.upload) {
        const form = multipart(probe.upload);
        payload = form.payload;
        headers["content-type"] = form.contentType;
      } else if (probe.body !== undefined) {
        // Lone surrogates travel as JSON escapes (\ud800), which is how a program would send them.
        payload = JSON.stringify(probe.body);
        headers["content-type"] = "application/json";
      } else if (method !== "GET" && method !== "DELETE" && pattern.startsWith("/api/console/")) {
        payload = "{}";
        headers["content-type"] = "application/json";
      }
      if (pattern.startsWith("/open/v1/")) {
        Object.assign(
          headers,
          signedHeaders(keys.appKey, keys.appSecret, {
            method: method as "GET",
            pathWithQuery: url,
            body: typeof payload === "string" ? payload : "",
          }),
        );
      }
      if (pattern.startsWith("/api/console/") && pattern !== "/api/console/session") {
        const client = probe.client ?? admin;
        headers.cookie = client.cookie;
        headers["x-csrf-token"] = client.csrfToken;
      } else if (pattern === "/api/console/session" && method !== "POST") {
        const client = probe.client ?? admin;
        headers.cookie = client.cookie;
        headers["x-csrf-token"] = client.csrfToken;
      }
      if (probe.cookie) headers.cookie = probe.cookie;
      return app.http.inject({ method: method as InjectOptions["method"], url, headers, payload });
    }

    let snapshotSql = "";
    /** A hash of every table's rows (the nonces a signed request uses up and session times left out). */
    async function snapshot(): Promise<Record<string, string>> {
      if (!snapshotSql) {
        const res = (await app.ctx.database.db.execute(
          sql`select tablename from pg_tables where schemaname = 'public' order by tablename`,
        )) as unknown as { rows: Array<{ tablename: string }> };
        snapshotSql = res.rows
          .map((r) => r.tablename)
          .filter((t) => !["open_api_nonces", "console_sessions", "__drizzle_migrations"].includes(t))
          .map(
            (t) =>
              `select '${t}' as t, md5(coalesce(string_agg((to_jsonb(x) - 'last_used_at')::text, '|' ` +
              `order by (to_jsonb(x) - 'last_used_at')::text), '')) as h from "${t}" x`,
          )
          .join(" union all ");
      }
      const res = (await app.ctx.database.db.execute(sql.raw(snapshotSql))) as unknown as {
        rows: Array<{ t: string; h: string }>;
      };
      return Object.fromEntries(res.rows.map((r) => [r.t, r.h]));
    }

    /** The snapshot once work started by the fixtures (deliveries sent after a commit) has finished. */
    async function settled(): Promise<Record<string, string>> {
      let last = await snapshot();
      // Deliveries sent within 50 ms of each other are marked in one statement: wait longer than that.
      for (let i = 0; i < 50; i++) {
        await new Promise((resolve) => setTimeout(resolve, 150));
        const next = await snapshot();
        if (JSON.stringify(next) === JSON.stringify(last)) return next;
        last = next;
      }
      throw new Error("the database did not settle");
    }

    function isErrorAnswer(res: LightMyRequestResponse): boolean {
      if (/^text\/html/.test(String(res.headers["content-type"]))) return res.body.includes("<html");
      try {
        const body = res.json() as { error?: { code?: unknown; message?: unknown } };
        return typeof body.error?.code === "string" && typeof body.error.message === "string";
      } catch {
        return false;
      }
    }

    beforeAll(async () => {
      merchant = await startMerchant((r, res) => {
        if (r.url.startsWith("/webhooks")) return sendJson(res, 200, { ok: true });
        const { orderNo } = JSON.parse(r.body) as { orderNo: string };
        return sendJson(res, 200, {
          orderNo,
          drawer: "李四",
          lines: [{ ...lunch, amount: "108.00" }],
          totalAmount: "108.00",
        });
      });
      wechat = await createWechatStandin().start();
      app = await createTestApp(kind, {
        startJobs: false,
        env: { PIAOMA_ALLOW_PRIVATE_URLS: "true", PIAOMA_WECHAT_API_URL: wechat.url },
      });
      const org = await makeOrganization(app.ctx.database, {
        name: "测试门店有限公司",
        orderQueryUrl: `${merchant.url}/orders/query`,
        webhookUrl: `${merchant.url}/webhooks`,
      });
      orgId = org.id;
      keys = await makeCredentials(app, orgId);
      const user = await makeUser(app.ctx.database, { orgIds: [orgId], role: "admin" });
      admin = await loginAs(app, user.username, user.password);
      const created = async (url: string, body: unknown) => {
        const res = await admin.post(url, body);
        expect(res.statusCode, res.body).toBe(201);
        return res.json().id as string;
      };
      taxAccountId = await created(`/orgs/${orgId}/tax-accounts`, { name: "沙箱账号" });
      deviceId = await created(`/orgs/${orgId}/devices`, { deviceNo: "POS-01", name: "一号收银台" });
      itemId = await created(`/orgs/${orgId}/items`, itemBody("MILK-1L"));
    }, 120_000);
    afterAll(async () => {
      await app?.close();
      await merchant?.close();
      await wechat?.close();
    });

    it("has a valid request for every registered route", () => {
      const routes = (registeredRoutes.get(app.http) ?? [])
        .filter((r) => r.method !== "HEAD")
        .map((r) => `${r.method} ${r.url}`);
      expect(routes.length).toBeGreaterThan(60);
      expect(routes.filter((r) => !(r in VALID))).toEqual([]);
      expect(Object.keys(VALID).filter((r) => !routes.includes(r))).toEqual([]);
    });

    it("maps what PostgreSQL itself refuses to 422, never 500 (the backstop behind the gate)", async () => {
      const { db } = app.ctx.database;
      const refusals = [
        ["22021", sql`select ${"a\u0000b"}::text`],
        ["22P05", sql`select ${'{"a":"\\u0000"}'}::jsonb ->> 'a'`],
        ["22008", sql`select '0000-01-01'::date`],
        ["22007", sql`select ${"2026-13-45"}::date`],
        ["22003", sql`select ${"12345678901234567.00"}::numeric(18,2)`],
      ] as const;
      for (const [code, query] of refusals) {
        const error = await db.execute(query).then(
          () => null,
          (e: unknown) => e,
        );
        expect(error, code).not.toBeNull();
        const { status, body } = toErrorResponse(error);
        expect([status, body.error.code], code).toEqual([422, "VALIDATION_FAILED"]);
      }
    });

    it("refuses every bad string and date with a 4xx and the error body, storing nothing", async () => {
      const problems: string[] = [];
      let sent = 0;
      for (const route of (registeredRoutes.get(app.http) ?? []).filter((r) => r.method !== "HEAD")) {
        const key = `${route.method} ${route.url}`;
        const valid = VALID[key];
        if (!valid) continue; // reported by the test above
        const probe = await valid();
        const before = await settled();
        for (const leaf of leavesOf(probe)) {
          const where = `${leaf.where}.${leaf.path.join(".")}`;
          const multiline = probe.multiline?.includes(where) ?? false;
          for (const bad of mutationsOf(leaf, multiline)) {
            const res = await send(route.method, route.url, withLeaf(probe, leaf, bad.value));
            sent++;
            const ok = probe.page
              ? res.statusCode < 500
              : res.statusCode >= 400 && res.statusCode < 500 && isErrorAnswer(res);
            if (!ok)
              problems.push(`${key} ${where} ← ${bad.name}: ${res.statusCode} ${res.body.slice(0, 160)}`);
          }
        }
        const after = await snapshot();
        const changed = Object.keys(after).filter((t) => after[t] !== before[t]);
        if (changed.length) problems.push(`${key}: refused requests changed ${changed.join(", ")}`);
        // The valid request itself succeeds: each refusal above was the bad value's alone.
        const res = await send(route.method, route.url, probe);
        const expected = probe.validStatus;
        if (expected ? res.statusCode !== expected : res.statusCode >= 400)
          problems.push(`${key} valid request: ${res.statusCode} ${res.body.slice(0, 300)}`);
        if (problems.length > 40) break;
      }
      expect(problems).toEqual([]);
      expect(sent).toBeGreaterThan(2000);
    }, 600_000);
  });
}
