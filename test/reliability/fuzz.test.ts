import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signedHeaders, signLinkParams } from "../../src/platform/signing";
import { createTestApp, type TestApp } from "../support/app";
import { BAD_TEXT, BAD_YEARS, insertInto, urlEncode } from "../support/bad-input";
import { makeOrganization, makeReceiptCode, makeUscc } from "../support/factories";
import { type AppKeys, makeCredentials } from "../support/open-api";

/**
 * Bad input from anyone: ≥ 10,000 malformed requests to every public endpoint (from the OpenAPI
 * document) — random JSON, wrong types, huge strings, odd Unicode, bad signatures, path tricks.
 * Nothing may answer 5xx, every refusal carries the API.md error body, and no table changes. Then
 * structure-aware mutations: valid requests (validly signed for the open API) with one to three of
 * their strings made bad — control characters, lone surrogates, impossible dates — which must all be
 * refused with a 4xx, storing nothing.
 */
const REQUESTS = 10_000;
const MUTATIONS = 2_000;

// A small deterministic generator: failures reproduce with the same seed.
function rng(seed: number) {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)] as T;
  return { next, int, pick };
}

const oddStrings = [
  "",
  " ",
  "\u0000",
  ...BAD_TEXT.map((b) => `a${b.text}b`),
  "0000-01-01",
  "0001-01-01T00:00:00+08:00",
  "10000-01-01",
  "12345678901234567",
  "\u202e\u202d",
  "\u200b\ufeff",
  "\ud800",
  "𠀀𠀁😀",
  "../../etc/passwd",
  "%2e%2e%2f",
  "<script>alert(1)</script>",
  "' or 1=1 --",
  "1e3",
  "NaN",
  "-0.001",
  "99999999999999999999.99",
  "１２３",
  "x".repeat(10_000),
  "中".repeat(3_000),
];

function randomValue(r: ReturnType<typeof rng>, depth = 0): unknown {
  switch (r.int(depth > 2 ? 5 : 8)) {
    case 0:
      return null;
    case 1:
      return r.next() < 0.5;
    case 2:
      return r.pick([0, -1, 1.5, 1e308, Number.MAX_SAFE_INTEGER, -1e-9]);
    case 3:
    case 4:
      return r.pick(oddStrings);
    case 5:
      return Array.from({ length: r.int(4) }, () => randomValue(r, depth + 1));
    default: {
      const keys = [
        "invoiceType",
        "buyer",
        "type",
        "name",
        "taxId",
        "email",
        "mobile",
        "lines",
        "amount",
        "orderNo",
        "q",
        "__proto__",
        "constructor",
      ];
      return Object.fromEntries(
        Array.from({ length: r.int(5) }, () => [r.pick(keys), randomValue(r, depth + 1)]),
      );
    }
  }
}

/** Like encodeURIComponent, but a lone surrogate becomes raw bytes instead of an exception. */
function enc(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return "%ED%A0%80";
  }
}

describe("fuzzing the public endpoints", () => {
  let app: TestApp;
  let token: string;
  let routes: Array<{ method: string; path: string }>;

  beforeAll(async () => {
    app = await createTestApp("pglite", { startJobs: false });
    const org = await makeOrganization(app.ctx.database);
    token = (await makeReceiptCode(app.ctx, org.id)).token;
    const doc = (await app.http.inject({ method: "GET", url: "/openapi.json" })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    if (!doc.paths) throw new Error(`no paths in /openapi.json: ${JSON.stringify(doc).slice(0, 300)}`);
    routes = Object.entries(doc.paths).flatMap(([p, ops]) =>
      Object.keys(ops)
        .filter((m) => ["get", "post", "put", "patch", "delete"].includes(m))
        .map((m) => ({ method: m.toUpperCase(), path: p })),
    );
    routes.push({ method: "GET", path: "/s/{token}" }, { method: "GET", path: "/nope/{x}" });
  });
  afterAll(() => app?.close());

  async function tableCounts(): Promise<Record<string, number>> {
    const res = (await app.ctx.database.db.execute(
      sql`select relname as name, n_live_tup::int as n from pg_stat_user_tables where schemaname = 'public' order by relname`,
    )) as unknown as { rows: Array<{ name: string }> };
    const counts: Record<string, number> = {};
    for (const { name } of res.rows) {
      if (name === "audit_log") continue;
      const c = (await app.ctx.database.db.execute(
        sql.raw(`select count(*)::int as n from "${name}"`),
      )) as unknown as {
        rows: Array<{ n: number }>;
      };
      counts[name] = c.rows[0]?.n ?? 0;
    }
    return counts;
  }

  it(`answers ${REQUESTS} malformed requests without a 5xx, always with the error body, changing nothing`, async () => {
    expect(routes.length).toBeGreaterThan(5);
    const before = await tableCounts();
    const r = rng(20261122);
    const problems: string[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const route = r.pick(routes);
      const url = route.path.replace(/\{(\w+)\}/g, (_m, name: string) =>
        name === "token" && r.next() < 0.3 ? token : enc(String(r.pick(oddStrings))).slice(0, 300) || "x",
      );
      const query =
        r.next() < 0.3 ? `?q=${enc(String(r.pick(oddStrings)).slice(0, 200))}&o=${r.int(1e6)}` : "";
      const headers: Record<string, string> = {};
      if (route.path.startsWith("/open/")) {
        headers["x-app-key"] = r.pick(["pk_unknown", "", `pk_${"0".repeat(24)}`]);
        headers["x-timestamp"] = String(r.pick([0, Math.floor(Date.now() / 1000), -1, 1e12]));
        headers["x-nonce"] = r.pick(["short", "n".repeat(32), "😀".repeat(20)]);
        headers["x-signature"] = r.pick(["", "00", "f".repeat(64)]);
      }
      let payload: string | undefined;
      if (route.method !== "GET") {
        const kind = r.int(4);
        payload = kind === 0 ? "{not json" : kind === 1 ? "" : JSON.stringify(randomValue(r));
        headers["content-type"] =
          r.next() < 0.9 ? "application/json" : r.pick(["text/plain", "application/xml"]);
      }
      // Sometimes a valid-looking submit with wrong types in the right places.
      if (route.path.endsWith("/submit") && r.next() < 0.3) {
        payload = JSON.stringify({
          invoiceType: randomValue(r),
          buyer: { type: randomValue(r), name: randomValue(r), taxId: randomValue(r) },
          email: randomValue(r),
        });
      }
      const res = await app.http.inject({
        method: route.method as "GET",
        url: `${url}${query}`,
        headers,
        payload,
      });
      if (res.statusCode >= 500)
        problems.push(
          `${res.statusCode} ${route.method} ${url} ${payload?.slice(0, 80)}: ${res.body.slice(0, 200)}`,
        );
      const isPage = /^text\/html/.test(String(res.headers["content-type"]));
      if (res.statusCode >= 400 && !isPage) {
        let body: { error?: { code?: unknown; message?: unknown } } | undefined;
        try {
          body = res.json();
        } catch {
          body = undefined;
        }
        if (typeof body?.error?.code !== "string" || typeof body.error.message !== "string") {
          problems.push(`no error body: ${res.statusCode} ${route.method} ${url}: ${res.body.slice(0, 120)}`);
        }
      }
      if (problems.length > 10) break;
    }
    expect(problems).toEqual([]);
    expect(await tableCounts()).toEqual(before);
  }, 300_000);

  describe("structure-aware mutations of valid requests", () => {
    let keys: AppKeys;
    let orgId: string;
    let token: string;
    let issuedToken: string;
    let issuedInvoiceId: string;
    let orderNo: string;

    const lunch = { name: "午餐", shortName: "餐饮服务", taxCode: "3070401000000000000", taxRate: "0.06" };
    const submit = () => ({
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
    const push = (n: number) => ({
      orderNo: `FUZZ-${n}`,
      orderTime: "2026-01-15T12:30:00+08:00",
      expiresAt: "2099-01-01T00:00:00+08:00",
      drawer: "张三",
      payee: "李四",
      reviewer: "王五",
      remark: "桌号 12",
      receiptFooter: "请在30天内扫码开票",
      lines: [{ ...lunch, amount: "88.00", quantity: "2", unitPrice: "44.00", spec: "大份", unit: "份" }],
      notify: { email: "a@example.com", mobile: "13800138000" },
    });

    interface Template {
      method: "GET" | "POST";
      path: string;
      params?: Record<string, string>;
      query?: Record<string, string>;
      body?: unknown;
      signLink?: boolean;
    }
    const templates = (n: number): Template[] => [
      { method: "POST", path: "/api/scan/{token}/submit", params: { token }, body: submit() },
      { method: "GET", path: "/api/scan/{token}", params: { token } },
      { method: "GET", path: "/api/scan/{token}/titles", params: { token }, query: { q: "北京" } },
      {
        method: "POST",
        path: "/api/scan/{token}/resend",
        params: { token: issuedToken },
        body: { email: "again@example.com" },
      },
      { method: "POST", path: "/open/v1/receipt-codes", body: push(n) },
      { method: "GET", path: "/open/v1/receipt-codes/{orderNo}", params: { orderNo } },
      { method: "POST", path: "/open/v1/receipt-codes/{orderNo}/disable", params: { orderNo } },
      { method: "GET", path: "/open/v1/invoices", query: { orderNo } },
      { method: "GET", path: "/open/v1/invoices/{id}", params: { id: issuedInvoiceId } },
      {
        method: "POST",
        path: "/open/v1/invoices/{id}/reverse",
        params: { id: issuedInvoiceId },
        body: { reason: "销货退回" },
      },
      {
        method: "GET",
        path: "/q/{appKey}",
        params: { appKey: keys.appKey },
        query: { o: `LINK-${n}`, a: "88.00", t: String(Math.floor(Date.now() / 1000)), d: "POS-01" },
        signLink: true,
      },
    ];

    type Slot = { get(): string; set(v: unknown): void };
    function slotsOf(t: Template): Slot[] {
      const slots: Slot[] = [];
      for (const bag of [t.params, t.query]) {
        for (const k of Object.keys(bag ?? {}))
          slots.push({
            get: () => bag![k]!,
            set: (v) => (bag![k] = typeof v === "string" ? v : JSON.stringify(v)),
          });
      }
      const walk = (node: Record<string | number, unknown>) => {
        for (const k of Object.keys(node)) {
          const v = node[k];
          if (typeof v === "string") slots.push({ get: () => node[k] as string, set: (x) => (node[k] = x) });
          else if (v && typeof v === "object") walk(v as Record<string, unknown>);
        }
      };
      if (t.body && typeof t.body === "object") walk(t.body as Record<string, unknown>);
      return slots;
    }

    /** A value no field may accept in place of `valid`. */
    function badVersion(r: ReturnType<typeof rng>, valid: string): string {
      const date = /^\d{4}-\d{2}-\d{2}/.test(valid);
      if (date && r.next() < 0.4) return r.pick(BAD_YEARS) + valid.slice(4);
      const bad = r.pick(BAD_TEXT).text;
      switch (r.int(3)) {
        case 0:
          return insertInto(valid, bad);
        case 1:
          return `${bad}${valid}`;
        default:
          return `${valid}${bad}`;
      }
    }

    beforeAll(async () => {
      const org = await makeOrganization(app.ctx.database, { name: "模糊测试门店有限公司" });
      orgId = org.id;
      keys = await makeCredentials(app, orgId);
      token = (await makeReceiptCode(app.ctx, orgId)).token;
      const issued = await makeReceiptCode(app.ctx, orgId);
      const res = await app.http.inject({
        method: "POST",
        url: `/api/scan/${issued.token}/submit`,
        payload: submit(),
        // Another client than the first test's, whose guesses used up its address's allowance.
        remoteAddress: "10.0.0.2",
      });
      expect(res.statusCode, res.body).toBe(202);
      issuedToken = issued.token;
      issuedInvoiceId = res.json().invoices[0].id;
      orderNo = (await makeReceiptCode(app.ctx, orgId)).serialNo;
      // Let the deliveries of that invoice finish before anything is counted.
      await new Promise((resolve) => setTimeout(resolve, 500));
    });

    it(`refuses ${MUTATIONS} valid requests made bad in one to three strings, storing nothing`, async () => {
      // A validly signed request uses up its nonce before its input is validated: not counted.
      const counts = async () => {
        const { open_api_nonces: _nonces, ...rest } = await tableCounts();
        return rest;
      };
      const before = await counts();
      const r = rng(20261123);
      const problems: string[] = [];
      for (let i = 0; i < MUTATIONS; i++) {
        const t = r.pick(templates(i));
        const slots = slotsOf(t);
        // One slot surely bad; up to two more get anything (an odd string, a wrong type).
        const target = r.pick(slots);
        target.set(badVersion(r, target.get()));
        for (let extra = r.int(3); extra > 0; extra--) {
          const other = r.pick(slots);
          if (other === target) continue;
          other.set(r.next() < 0.5 ? r.pick(oddStrings) : randomValue(r));
        }
        if (t.signLink && t.query) {
          const { sig: _old, ...signed } = t.query;
          t.query.sig = signLinkParams(keys.appSecret, signed);
        }
        const path = t.path.replace(/\{(\w+)\}/g, (_m, name: string) => urlEncode(t.params?.[name] ?? "x"));
        const query = Object.entries(t.query ?? {})
          .map(([k, v]) => `${k}=${urlEncode(v)}`)
          .join("&");
        const url = query ? `${path}?${query}` : path;
        const payload = t.body === undefined ? undefined : JSON.stringify(t.body);
        const headers: Record<string, string> = payload ? { "content-type": "application/json" } : {};
        if (t.path.startsWith("/open/"))
          Object.assign(
            headers,
            signedHeaders(keys.appKey, keys.appSecret, {
              method: t.method,
              pathWithQuery: url,
              body: payload ?? "",
            }),
          );
        const res = await app.http.inject({
          method: t.method,
          url,
          headers,
          payload,
          remoteAddress: "10.0.0.2",
        });
        const isPage = /^text\/html/.test(String(res.headers["content-type"]));
        let hasBody = isPage;
        if (!isPage) {
          try {
            const body = res.json() as { error?: { code?: unknown; message?: unknown } };
            hasBody = typeof body.error?.code === "string" && typeof body.error.message === "string";
          } catch {
            hasBody = false;
          }
        }
        if (res.statusCode < 400 || res.statusCode >= 500 || !hasBody)
          problems.push(
            `${res.statusCode} ${t.method} ${url} ${payload?.slice(0, 200)}: ${res.body.slice(0, 160)}`,
          );
        if (problems.length > 10) break;
      }
      expect(problems).toEqual([]);
      expect(await counts()).toEqual(before);
    }, 300_000);
  });
});
