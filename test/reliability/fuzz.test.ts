import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../support/app";
import { makeOrganization, makeReceiptCode } from "../support/factories";

/**
 * Bad input from anyone: ≥ 10,000 malformed requests to every public endpoint (from the OpenAPI
 * document) — random JSON, wrong types, huge strings, odd Unicode, bad signatures, path tricks.
 * Nothing may answer 5xx, every refusal carries the API.md error body, and no table changes.
 */
const REQUESTS = 10_000;

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
});
