import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { eq } from "drizzle-orm";
import { afterAll, beforeAll, expect, it } from "vitest";
import * as helper from "../../../docs/examples/piaoma-sign";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { describeEachDatabase } from "../../../test/support/db";
import { makeOrganization } from "../../../test/support/factories";
import {
  type AppKeys,
  type MerchantServer,
  makeCredentials,
  type ReceivedRequest,
  sendJson,
  startMerchant,
} from "../../../test/support/open-api";
import { repoRoot } from "../../../test/support/processes";
import { hasRuntime } from "../../../test/support/system-tools";
import { waitUntil } from "../../../test/support/wait";
import { systemActor } from "../../context";
import { organizations } from "../../platform/db/schema";
import { isSignatureValid, isSignedWithKey, parseSignatures } from "../../platform/signing";
import { revokeCredentials, rotateCredentials } from "../credentials/credentials.service";
import { sendTestWebhook } from "./webhooks.service";

const run = promisify(execFile);
const examples = path.join(repoRoot, "docs/examples");

/** A webhook as a merchant's code might hold it: header name → value, the body as received. */
interface HelperCase {
  secrets: Record<string, string>;
  headers: Record<string, string>;
  body: string;
}

/**
 * What the guide's helpers conclude about each case: the TypeScript verifyWithKeys, and the Python
 * verify_with_keys and Java verifyWithKeys through their `verify-keys` command lines (all cases in
 * one run per language). A language whose runtime is missing here is left out, except under CI.
 */
async function helperVerdicts(
  method: string,
  pathWithQuery: string,
  cases: Record<string, HelperCase>,
): Promise<Record<string, Record<string, boolean>>> {
  const names = Object.keys(cases);
  const verdicts: Record<string, Record<string, boolean>> = {
    typescript: Object.fromEntries(
      names.map((n) => {
        const c = cases[n]!;
        return [n, helper.verifyWithKeys(c.secrets, c.headers, method, pathWithQuery, c.body)];
      }),
    ),
  };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "piaoma-webhook-"));
  const write = (file: string, text: string) => {
    fs.writeFileSync(path.join(dir, file), text);
    return path.join(dir, file);
  };
  const args = names.flatMap((n, i) => [
    write(`${i}.secrets.json`, JSON.stringify(cases[n]!.secrets)),
    write(`${i}.headers.json`, JSON.stringify(cases[n]!.headers)),
    method,
    pathWithQuery,
    write(`${i}.body`, cases[n]!.body),
  ]);
  const programs = [
    ["python", "python3", ["--version"], path.join(examples, "piaoma_sign.py")],
    ["java", "java", ["-version"], path.join(examples, "PiaomaSign.java")],
  ] as const;
  for (const [language, command, versionArgs, file] of programs) {
    if (!(await hasRuntime(command, [...versionArgs]))) continue;
    const lines = (await run(command, [file, "verify-keys", ...args])).stdout.trim().split("\n");
    expect(lines, `${language} prints one true/false per case`).toHaveLength(names.length);
    verdicts[language] = Object.fromEntries(
      names.map((n, i) => {
        const line = lines[i]!.trim();
        expect(["true", "false"], `${language}: ${n}`).toContain(line);
        return [n, line === "true"];
      }),
    );
  }
  return verdicts;
}

describeEachDatabase("webhooks are signed with every active key", (kind) => {
  let app: TestApp;
  let merchant: MerchantServer;
  let orgId: string;
  beforeAll(async () => {
    app = await createTestApp(kind, { env: { PIAOMA_ALLOW_PRIVATE_URLS: "true" } });
    merchant = await startMerchant((_req, res) => sendJson(res, 200, { ok: true }));
    orgId = (await makeOrganization(app.ctx.database)).id;
    await app.ctx.database.db
      .update(organizations)
      .set({ webhookUrl: `${merchant.url}/hooks?shop=1` })
      .where(eq(organizations.id, orgId));
  });
  afterAll(async () => {
    await merchant?.close();
    await app?.close();
  });

  /** Sends a test event and returns the request the merchant received for it. */
  async function deliver(): Promise<ReceivedRequest> {
    const eventId = await sendTestWebhook(app.ctx, orgId);
    return waitUntil(
      () => merchant.received.find((r) => JSON.parse(r.body).id === eventId),
      `webhook ${eventId}`,
    );
  }
  const signedOf = (r: ReceivedRequest) => ({
    method: r.method,
    pathWithQuery: r.url,
    timestamp: String(r.headers["x-timestamp"]),
    nonce: String(r.headers["x-nonce"]),
    body: r.body,
  });
  const headersOf = (r: ReceivedRequest) => ({
    appKey: String(r.headers["x-app-key"]),
    signature: String(r.headers["x-signature"]),
    signatures: String(r.headers["x-signatures"]),
  });
  /** What a merchant holding only this key concludes, by the server's rule and by the guide's helper. */
  const verifies = (key: AppKeys, r: ReceivedRequest) => {
    const byRule = isSignedWithKey(key, headersOf(r), signedOf(r));
    const byHelper = helper.verifyWithKeys(
      { [key.appKey]: key.appSecret },
      r.headers,
      r.method,
      r.url,
      r.body,
    );
    expect(byHelper).toBe(byRule);
    return byRule;
  };

  it("keeps API.md's four headers and lists one signature per active key through a rotation", async () => {
    const first = await makeCredentials(app, orgId);
    const before = await deliver();
    // One key: the four headers as API.md specifies them, and X-Signatures with that key alone.
    expect(before.headers["x-app-key"]).toBe(first.appKey);
    expect(isSignatureValid(first.appSecret, signedOf(before), String(before.headers["x-signature"]))).toBe(
      true,
    );
    expect([...parseSignatures(String(before.headers["x-signatures"])).keys()]).toEqual([first.appKey]);
    expect(verifies(first, before)).toBe(true);

    // Rotation keeping the old key: the newest signs the four headers, both are listed.
    const rotated = await rotateCredentials(app.ctx, {
      actor: systemActor("test"),
      orgId,
      appKey: first.appKey,
    });
    const during = await deliver();
    expect(during.headers["x-app-key"]).toBe(rotated.appKey);
    expect(isSignatureValid(rotated.appSecret, signedOf(during), String(during.headers["x-signature"]))).toBe(
      true,
    );
    const listed = parseSignatures(String(during.headers["x-signatures"]));
    expect([...listed.keys()]).toEqual([rotated.appKey, first.appKey]);
    expect(isSignatureValid(first.appSecret, signedOf(during), listed.get(first.appKey)!)).toBe(true);
    expect(isSignatureValid(rotated.appSecret, signedOf(during), listed.get(rotated.appKey)!)).toBe(true);
    // The merchant that has not deployed the new secret yet still verifies, and so does the one that has.
    expect(verifies(first, during)).toBe(true);
    expect(verifies(rotated, during)).toBe(true);
    // A secret that is not one of the organization's keys verifies nothing.
    expect(verifies({ appKey: first.appKey, appSecret: "not-the-secret" }, during)).toBe(false);
    expect(verifies({ appKey: "pk_other", appSecret: first.appSecret }, during)).toBe(false);

    // The Python and Java helpers reach the same verdicts on this very webhook (headers and raw body).
    const received = Object.fromEntries(Object.entries(during.headers).map(([k, v]) => [k, String(v)]));
    // Header names as other frameworks spell them (X-App-Key, X-Signatures…): lookups ignore case.
    const titleCased = Object.fromEntries(
      Object.entries(received).map(([k, v]) => [k.replace(/(^|-)[a-z]/g, (c) => c.toUpperCase()), v]),
    );
    expect(titleCased["X-Signatures"]).toBe(received["x-signatures"]);
    const bothSecrets = { [first.appKey]: first.appSecret, [rotated.appKey]: rotated.appSecret };
    const tampered = during.body.replace('"type":"webhook.test"', '"type":"invoice.issued"');
    expect(tampered).not.toBe(during.body);
    // Correctly signed with both keys, but 301 s before the webhook arrived: refused for its age alone.
    const staleAt = String(Number(received["x-timestamp"]) - 301);
    const resign = (key: AppKeys) =>
      helper.sign(key.appSecret, during.method, during.url, staleAt, received["x-nonce"]!, during.body);
    const stale = {
      ...received,
      "x-timestamp": staleAt,
      "x-signature": resign(rotated),
      "x-signatures": `${rotated.appKey}=${resign(rotated)},${first.appKey}=${resign(first)}`,
    };
    const staleRequest = { ...during, headers: stale };
    expect(isSignedWithKey(first, headersOf(staleRequest), signedOf(staleRequest))).toBe(true);
    const expected = {
      oldSecretOnly: true,
      newSecretOnly: true,
      wrongSecret: false,
      otherAppKey: false,
      tamperedBody: false,
      staleTimestamp: false,
    };
    const verdicts = await helperVerdicts(during.method, during.url, {
      oldSecretOnly: { secrets: { [first.appKey]: first.appSecret }, headers: received, body: during.body },
      newSecretOnly: {
        secrets: { [rotated.appKey]: rotated.appSecret },
        headers: titleCased,
        body: during.body,
      },
      wrongSecret: {
        secrets: { [first.appKey]: "not-the-secret", [rotated.appKey]: "not-this-one-either" },
        headers: received,
        body: during.body,
      },
      otherAppKey: { secrets: { pk_other: first.appSecret }, headers: received, body: during.body },
      tamperedBody: { secrets: bothSecrets, headers: received, body: tampered },
      staleTimestamp: { secrets: bothSecrets, headers: stale, body: during.body },
    });
    for (const language of Object.keys(verdicts)) expect(verdicts[language], language).toEqual(expected);

    // Once the old key is revoked, it no longer signs.
    await revokeCredentials(app.ctx, { actor: systemActor("test"), orgId, appKey: first.appKey });
    const after = await deliver();
    expect([...parseSignatures(String(after.headers["x-signatures"])).keys()]).toEqual([rotated.appKey]);
    expect(verifies(first, after)).toBe(false);
    expect(verifies(rotated, after)).toBe(true);
  });
});
