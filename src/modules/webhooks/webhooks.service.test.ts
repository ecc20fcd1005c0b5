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
import { waitUntil } from "../../../test/support/wait";
import { systemActor } from "../../platform/context";
import { organizations } from "../../platform/db/schema";
import { revokeCredentials, rotateCredentials } from "../credentials/credentials.service";
import { isSignatureValid, isSignedWithKey, parseSignatures } from "../open-api/signing";
import { sendTestWebhook } from "./webhooks.service";

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

    // Once the old key is revoked, it no longer signs.
    await revokeCredentials(app.ctx, { actor: systemActor("test"), orgId, appKey: first.appKey });
    const after = await deliver();
    expect([...parseSignatures(String(after.headers["x-signatures"])).keys()]).toEqual([rotated.appKey]);
    expect(verifies(first, after)).toBe(false);
    expect(verifies(rotated, after)).toBe(true);
  });
});
