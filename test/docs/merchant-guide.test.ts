import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import * as helper from "../../docs/examples/piaoma-sign";
import { sha256Hex } from "../../src/platform/crypto";
import {
  linkStringToSign,
  signedHeadersForKeys,
  signLinkParams,
  signRequest,
  stringToSign,
} from "../../src/platform/signing";
import { createTestApp, type TestApp } from "../support/app";
import { makeOrganization } from "../support/factories";
import { type AppKeys, makeCredentials } from "../support/open-api";
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
