import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as helper from "../../docs/examples/piaoma-sign";
import { sha256Hex } from "../../src/platform/crypto";
import { receiptCodeConfigs } from "../../src/platform/db/schema";
import { errorStatus } from "../../src/platform/errors";
import {
  linkStringToSign,
  signedHeadersForKeys,
  signLinkParams,
  signRequest,
  stringToSign,
} from "../../src/platform/signing";
import { createTestApp, submitAsCompany, type TestApp } from "../support/app";
import { loginAs, makeUser } from "../support/console";
import { makeOrganization, makeUscc } from "../support/factories";
import { type AppKeys, makeCredentials, openRequest } from "../support/open-api";
import { repoRoot } from "../support/processes";
import { hasRuntime } from "../support/system-tools";

const run = promisify(execFile);
const guide = fs.readFileSync(path.join(repoRoot, "docs/merchant-guide.md"), "utf8");
const examples = path.join(repoRoot, "docs/examples");

/** The `key: value` lines of the fenced block after an HTML marker in the guide. */
function example(marker: string): Record<string, string> {
  const start = guide.indexOf(`<!-- worked-example:${marker} -->`);
  expect(start).toBeGreaterThan(-1);
  const block = /```text\n([\s\S]*?)\n```/.exec(guide.slice(start))![1]!;
  return Object.fromEntries(
    block.split("\n").map((line) => {
      const i = line.indexOf(":");
      return [line.slice(0, i).trim(), line.slice(i + 1).trim()];
    }),
  );
}

describe("the merchant guide's worked examples", () => {
  const req = example("request");
  const link = example("link");
  const hook = example("webhook");
  const linkParams = Object.fromEntries(link.params!.split(" ").map((p) => p.split("=") as [string, string]));

  it("request: body hash, string to sign and signature are exactly what the server computes", () => {
    const signed = {
      method: req.method!,
      pathWithQuery: req.path!,
      timestamp: req.timestamp!,
      nonce: req.nonce!,
      body: req.body!,
    };
    expect(sha256Hex(req.body!)).toBe(req.bodySha256);
    expect(stringToSign(signed)).toBe(
      [req.method, req.path, req.timestamp, req.nonce, req.bodySha256].join("\n"),
    );
    expect(guide).toContain(["```text", stringToSign(signed), "```"].join("\n"));
    expect(signRequest(req.appSecret!, signed)).toBe(req.signature);
  });

  it("link: the sorted parameter string and sig", () => {
    expect(linkStringToSign(linkParams)).toBe(link.stringToSign);
    expect(signLinkParams(link.appSecret!, linkParams)).toBe(link.sig);
  });

  it("webhook: X-App-Key, X-Signature and X-Signatures are what Piaoma sends with the new and the old key", () => {
    const newKey = { appKey: hook.newAppKey!, appSecret: hook.newAppSecret! };
    const oldKey = { appKey: hook.oldAppKey!, appSecret: hook.oldAppSecret! };
    expect(sha256Hex(hook.body!)).toBe(hook.bodySha256);
    const headers = signedHeadersForKeys([newKey, oldKey], {
      method: hook.method!,
      pathWithQuery: hook.path!,
      timestamp: hook.timestamp!,
      nonce: hook.nonce!,
      body: hook.body!,
    });
    expect(headers["x-app-key"]).toBe(hook["X-App-Key"]);
    expect(headers["x-signature"]).toBe(hook["X-Signature"]);
    expect(headers["x-signatures"]).toBe(hook["X-Signatures"]);
    // Each entry is the plain §3 signature with that key's secret, as the helper computes it.
    const args = [hook.method!, hook.path!, hook.timestamp!, hook.nonce!, hook.body!] as const;
    expect(hook["X-Signatures"]).toBe(
      `${newKey.appKey}=${helper.sign(newKey.appSecret, ...args)},${oldKey.appKey}=${helper.sign(oldKey.appSecret, ...args)}`,
    );
  });

  it("the TypeScript helper gives the same answers", () => {
    expect(helper.sign(req.appSecret!, req.method!, req.path!, req.timestamp!, req.nonce!, req.body!)).toBe(
      req.signature,
    );
    expect(helper.signLink(link.appSecret!, linkParams)).toBe(link.sig);
  });

  it("the Python and Java helpers give the same answers (where their runtimes exist)", async () => {
    const bodyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-guide-")), "body.json");
    fs.writeFileSync(bodyFile, req.body!);
    const signArgs = [req.appSecret!, req.method!, req.path!, req.timestamp!, req.nonce!, bodyFile];
    const linkArgs = [link.appSecret!, ...link.params!.split(" ")];
    if (await hasRuntime("python3", ["--version"])) {
      const py = path.join(examples, "piaoma_sign.py");
      expect((await run("python3", [py, "sign", ...signArgs])).stdout.trim()).toBe(req.signature);
      expect((await run("python3", [py, "link", ...linkArgs])).stdout.trim()).toBe(link.sig);
    }
    if (await hasRuntime("java", ["-version"])) {
      const java = path.join(examples, "PiaomaSign.java");
      expect((await run("java", [java, "sign", ...signArgs])).stdout.trim()).toBe(req.signature);
      expect((await run("java", [java, "link", ...linkArgs])).stdout.trim()).toBe(link.sig);
    }
  }, 60_000);
});

describe("the signing helpers against a running server", () => {
  let app: TestApp;
  let keys: AppKeys;
  let baseUrl: string;
  let bodyFile: string;
  beforeAll(async () => {
    app = await createTestApp("pglite");
    baseUrl = await app.http.listen({ port: 0, host: "127.0.0.1" });
    keys = await makeCredentials(app, (await makeOrganization(app.ctx.database)).id);
    bodyFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-guide-")), "order.json");
  });
  afterAll(() => app?.close());

  const order = (orderNo: string) =>
    JSON.stringify({
      orderNo,
      drawer: "张三",
      lines: [
        {
          name: "午餐",
          shortName: "餐饮服务",
          taxCode: "3070401000000000000",
          taxRate: "0.06",
          amount: "88.00",
        },
      ],
    });

  it("TypeScript: a push signed by the helper is accepted", async () => {
    const body = order("HELPER-TS-1");
    const res = await fetch(`${baseUrl}/open/v1/receipt-codes`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        ...helper.signedHeaders(keys.appKey, keys.appSecret, "POST", "/open/v1/receipt-codes", body),
      },
      body,
    });
    expect(res.status).toBe(201);
    expect((await res.json()).orderNo).toBe("HELPER-TS-1");
  });

  it("Python and Java: pushes signed by the helpers are accepted (where their runtimes exist)", async () => {
    if (await hasRuntime("python3", ["--version"])) {
      fs.writeFileSync(bodyFile, order("HELPER-PY-1"));
      const py = path.join(examples, "piaoma_sign.py");
      const out = await run("python3", [
        py,
        "post",
        baseUrl,
        "/open/v1/receipt-codes",
        keys.appKey,
        keys.appSecret,
        bodyFile,
      ]);
      expect(JSON.parse(out.stdout)).toMatchObject({ status: 201, body: { orderNo: "HELPER-PY-1" } });
    }
    if (await hasRuntime("java", ["-version"])) {
      fs.writeFileSync(bodyFile, order("HELPER-JAVA-1"));
      const java = path.join(examples, "PiaomaSign.java");
      const out = await run("java", [
        java,
        "post",
        baseUrl,
        "/open/v1/receipt-codes",
        keys.appKey,
        keys.appSecret,
        bodyFile,
      ]);
      expect(JSON.parse(out.stdout)).toMatchObject({ status: 201, body: { orderNo: "HELPER-JAVA-1" } });
    }
  }, 60_000);
});

/** Every file's text under a folder (the source, to find a name the guide uses). */
function textsUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return textsUnder(full);
    return e.name.endsWith(".ts") ? [fs.readFileSync(full, "utf8")] : [];
  });
}

/**
 * All-caps names the guide writes in backticks that are not error codes of the API: each is named
 * here with what it is, and must exist in the source as it is written.
 */
const NOT_ERROR_CODES: Record<string, string> = {
  PIAOMA_ALLOW_PRIVATE_URLS: "a deployment setting",
  RED_CONFIRMATION_REFUSED: "an invoice's failure.code",
  RED_CONFIRMATION_EXPIRED: "an invoice's failure.code",
  RED_LINE_IS_DISCOUNT: "a details.issues code of a red invoice or refund request",
};
const HTTP_METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE"]);
const isErrorCode = (code: string): code is keyof typeof errorStatus => Object.hasOwn(errorStatus, code);

/** The rows of every Markdown table whose header has an 错误码 column: the code, and its HTTP status when a column gives one. */
function errorTableRows(): Array<{ row: string; code: string; status?: number }> {
  const rows: Array<{ row: string; code: string; status?: number }> = [];
  const lines = guide.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const header = cells(lines[i]!);
    const codeAt = header.indexOf("错误码");
    if (codeAt < 0 || !/^\|[\s|:-]+\|$/.test(lines[i + 1]?.trim() ?? "")) continue;
    const httpAt = header.indexOf("HTTP");
    for (let j = i + 2; j < lines.length && lines[j]!.trim().startsWith("|"); j++) {
      const row = cells(lines[j]!);
      rows.push({
        row: lines[j]!,
        code: row[codeAt]!.replaceAll("`", ""),
        ...(httpAt >= 0 ? { status: Number(row[httpAt]) } : {}),
      });
    }
  }
  return rows;
}
function cells(line: string): string[] {
  const t = line.trim();
  if (!t.startsWith("|")) return [];
  return t
    .slice(1, -1)
    .split("|")
    .map((c) => c.trim());
}

describe("the merchant guide's error codes", () => {
  it("every code in backticks is an error code of the API (or a named non-error that exists in the source)", () => {
    const source = textsUnder(path.join(repoRoot, "src")).join("\n");
    const spans = [...guide.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
    const codes = spans
      .map((span) => /^(?:[1-5]\d\d )?([A-Z][A-Z_]{2,})$/.exec(span)?.[1])
      .filter((c): c is string => c !== undefined && !HTTP_METHODS.has(c));
    expect(codes.length).toBeGreaterThan(20);
    const unknown = codes.filter((c) => !isErrorCode(c) && !(c in NOT_ERROR_CODES));
    expect(unknown, "codes in backticks that errorStatus does not have").toEqual([]);
    for (const name of Object.keys(NOT_ERROR_CODES)) {
      expect(isErrorCode(name), `${name} is an error code after all`).toBe(false);
      expect(source, `${name} (${NOT_ERROR_CODES[name]}) is not in src/`).toContain(name);
    }
  });

  it("every code of a table of codes exists, with errorStatus's HTTP status where the table gives one", () => {
    const rows = errorTableRows();
    // §3's signing failures, §7's refunds, §8's store-code matches, §10's list.
    expect(rows.length).toBeGreaterThan(40);
    for (const { row, code, status } of rows) {
      expect(isErrorCode(code), `${code} in: ${row}`).toBe(true);
      if (status !== undefined) expect(status, row).toBe(errorStatus[code as keyof typeof errorStatus]);
    }
  });

  it("a status written next to a code (`409 REFUND_CONFLICT`) is errorStatus's", () => {
    const stated = [...guide.matchAll(/\b([1-5]\d\d)\s*`?\s*([A-Z][A-Z_]{2,})\b/g)].map((m) => ({
      text: m[0],
      status: Number(m[1]),
      code: m[2]!,
    }));
    expect(stated.length).toBeGreaterThan(10);
    for (const { text, status, code } of stated) {
      expect(isErrorCode(code), text).toBe(true);
      expect(status, text).toBe(errorStatus[code as keyof typeof errorStatus]);
    }
  });
});

describe("the merchant guide's open-API routes", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp("pglite", { startJobs: false });
  });
  afterAll(() => app?.close());

  it("names only routes the app serves, and every /open/v1 route the app serves", async () => {
    const doc = (await app.http.inject({ method: "GET", url: "/openapi.json" })).json() as {
      paths: Record<string, Record<string, unknown>>;
    };
    const served = Object.entries(doc.paths)
      .filter(([p]) => p.startsWith("/open/v1/"))
      .flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`));
    expect(served.length).toBeGreaterThan(10);
    const named = [
      ...guide.matchAll(/(?:\b(GET|POST|PUT|PATCH|DELETE) )?(\/open\/v1\/[A-Za-z0-9_.{}/-]*[A-Za-z0-9_}])/g),
    ].map((m) => ({ method: m[1], path: m[2]! }));
    for (const { method, path: p } of named) {
      if (method) expect(served, `${method} ${p}`).toContain(`${method} ${p}`);
      else expect(Object.keys(doc.paths), p).toContain(p);
    }
    const namedWithMethod = new Set(named.filter((n) => n.method).map((n) => `${n.method} ${n.path}`));
    expect(served.filter((route) => !namedWithMethod.has(route))).toEqual([]);
  });
});

/** The ```json blocks after a marker in the guide, parsed. */
function jsonAfter(marker: string, count: number): unknown[] {
  const start = guide.indexOf(`<!-- ${marker} -->`);
  expect(start, marker).toBeGreaterThan(-1);
  const blocks = [...guide.slice(start).matchAll(/```json\n([\s\S]*?)\n```/g)].slice(0, count);
  expect(blocks).toHaveLength(count);
  return blocks.map((b) => JSON.parse(b[1]!));
}

/**
 * Where a real answer differs from the guide's example: the same fields at every level, the same
 * values — except that an example value ending in "…" stands for any string starting with what
 * precedes it (ids), and times are only checked to be times.
 */
function differences(actual: unknown, example: unknown, at = "$"): string[] {
  if (typeof example === "string" && example.endsWith("…")) {
    return typeof actual === "string" && actual.startsWith(example.slice(0, -1))
      ? []
      : [`${at}: ${JSON.stringify(actual)} is not ${example}`];
  }
  if (/(createdAt|expiresAt)$/.test(at)) {
    return typeof actual === "string" && !Number.isNaN(Date.parse(actual)) ? [] : [`${at}: not a time`];
  }
  if (Array.isArray(example)) {
    if (!Array.isArray(actual) || actual.length !== example.length)
      return [`${at}: not ${example.length} items`];
    return example.flatMap((e, i) => differences(actual[i], e, `${at}[${i}]`));
  }
  if (example !== null && typeof example === "object") {
    if (actual === null || typeof actual !== "object") return [`${at}: not an object`];
    const keys = (o: object) => Object.keys(o).sort();
    const a = actual as Record<string, unknown>;
    const e = example as Record<string, unknown>;
    if (JSON.stringify(keys(a)) !== JSON.stringify(keys(e))) {
      return [`${at}: fields ${keys(a).join(",")} but the guide has ${keys(e).join(",")}`];
    }
    return keys(e).flatMap((k) => differences(a[k], e[k], `${at}.${k}`));
  }
  return actual === example
    ? []
    : [`${at}: ${JSON.stringify(actual)} but the guide has ${JSON.stringify(example)}`];
}

describe("the merchant guide's refund and store-code examples against a running server", () => {
  let app: TestApp;
  beforeAll(async () => {
    app = await createTestApp("pglite");
  });
  afterAll(() => app?.close());

  const [order] = jsonAfter("refund-example:order", 1) as [{ orderNo: string }];
  const org = async () => makeCredentials(app, (await makeOrganization(app.ctx.database)).id);
  const push = async (keys: AppKeys) => {
    const res = await openRequest(app, keys, { method: "POST", url: "/open/v1/receipt-codes", body: order });
    expect(res.statusCode, res.body).toBe(201);
    return res.json() as { token: string; totals: { totalAmount: string } };
  };
  const refund = (keys: AppKeys, body: unknown) =>
    openRequest(app, keys, {
      method: "POST",
      url: `/open/v1/receipt-codes/${encodeURIComponent(order.orderNo)}/refunds`,
      body,
    });

  it("before invoicing: the guide's request gets the guide's answer", async () => {
    const [request, answer] = jsonAfter("refund-example:before-invoicing", 2);
    const keys = await org();
    await push(keys);
    const res = await refund(keys, request);
    expect(res.statusCode, res.body).toBe(201);
    expect(differences(res.json(), answer)).toEqual([]);
  });

  it("after invoicing: the guide's request gets the guide's answer", async () => {
    const [request, answer] = jsonAfter("refund-example:after-invoicing", 2);
    const keys = await org();
    const code = await push(keys);
    expect((await submitAsCompany(app, code.token)).json().status).toBe("issued");
    const res = await refund(keys, request);
    expect(res.statusCode, res.body).toBe(201);
    expect(differences(res.json(), answer)).toEqual([]);
  });

  it("the example order's lines are numbered as the guide says: the discount line is line 2, the lunch line 3", async () => {
    const keys = await org();
    expect((await push(keys)).totals.totalAmount).toBe("115.00");
    const discount = await refund(keys, { refundNo: "G-1", reason: "销货退回", lines: [{ lineNo: 2 }] });
    expect(discount.statusCode).toBe(422);
    expect(discount.json().error.details.issues[0].code).toBe("RED_LINE_IS_DISCOUNT");
    const lunch = await refund(keys, { refundNo: "G-2", reason: "销货退回", lines: [{ lineNo: 3 }] });
    expect(lunch.json()).toMatchObject({ status: "reduced", totalAmount: "88.00" });
  });

  it("a 门店码 submission is listed with the fields of the guide's item", async () => {
    const [item] = jsonAfter("pending-example:item", 1) as [Record<string, unknown>];
    const orgId = (await makeOrganization(app.ctx.database)).id;
    const keys = await makeCredentials(app, orgId);
    const user = await makeUser(app.ctx.database, { orgIds: [orgId] });
    const console_ = await loginAs(app, user.username, user.password);
    const store = (await console_.post(`/orgs/${orgId}/store-codes`, { name: "一楼" })).json() as {
      token: string;
    };
    const submitted = await app.http.inject({
      method: "POST",
      url: `/api/store/${store.token}/submissions`,
      payload: {
        invoiceType: item.invoiceType,
        buyer: { type: "enterprise", name: item.buyerName, taxId: makeUscc("91310000") },
        email: "buyer@example.com",
        amount: item.amount,
        receiptNo: item.receiptNo,
      },
    });
    expect(submitted.statusCode, submitted.body).toBe(201);
    const list = await openRequest(app, keys, { method: "GET", url: "/open/v1/pending-submissions" });
    expect(list.statusCode, list.body).toBe(200);
    expect(list.json()).toMatchObject({ total: 1, page: 1, pageSize: 20 });
    expect(differences(list.json().items[0], item)).toEqual([]);
    // Matched as §8 says: the order of §3.1 (88.00, the amount the consumer typed), pushed first.
    const pushed = await openRequest(app, keys, {
      method: "POST",
      url: "/open/v1/receipt-codes",
      body: JSON.parse(example("request").body!),
    });
    expect(pushed.statusCode, pushed.body).toBe(201);
    const matchBody = /match`，请求体 `(\{[^`]+\})`/.exec(guide)?.[1];
    expect(matchBody).toBeDefined();
    const matched = await openRequest(app, keys, {
      method: "POST",
      url: `/open/v1/pending-submissions/${list.json().items[0].id}/match`,
      body: JSON.parse(matchBody!),
    });
    expect(matched.statusCode, matched.body).toBe(200);
    expect(matched.json()).toMatchObject({
      pending: { status: "matched", receiptCodeId: expect.stringMatching(/^rc_/) },
      status: "issued",
    });
  });

  it("a receipt merged into another's invoice: its code and the invoice query by its order number show that invoice", async () => {
    const orgId = (await makeOrganization(app.ctx.database)).id;
    const keys = await makeCredentials(app, orgId);
    await app.ctx.database.db
      .update(receiptCodeConfigs)
      .set({ mergeEnabled: true, mergeMaxReceipts: 5 })
      .where(eq(receiptCodeConfigs.orgId, orgId));
    const pushed = async (orderNo: string) =>
      (
        await openRequest(app, keys, {
          method: "POST",
          url: "/open/v1/receipt-codes",
          body: { ...order, orderNo },
        })
      ).json() as { token: string; shortCode: string };
    const primary = await pushed("MERGE-A");
    const added = await pushed("MERGE-B");
    const submit = await submitAsCompany(app, primary.token, { mergeCodes: [added.shortCode] });
    expect(submit.statusCode, submit.body).toBe(202);
    const get = (url: string) => openRequest(app, keys, { method: "GET", url });
    const code = (await get("/open/v1/receipt-codes/MERGE-B")).json();
    expect(code.status).toBe("merged");
    expect(code.invoices.map((i: { orderNo: string }) => i.orderNo)).toEqual(["MERGE-A"]);
    const byAdded = (await get("/open/v1/invoices?orderNo=MERGE-B")).json().invoices;
    const byPrimary = (await get("/open/v1/invoices?orderNo=MERGE-A")).json().invoices;
    expect(byPrimary).toHaveLength(1);
    expect(byAdded.map((i: { id: string; orderNo: string }) => [i.id, i.orderNo])).toEqual([
      [byPrimary[0].id, "MERGE-A"],
    ]);
    expect(guide).toContain("`GET /open/v1/invoices?orderNo=…` 对它都返回它开在其上的发票");
  });
});
