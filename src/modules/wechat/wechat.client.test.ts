import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openTestPglite } from "../../../test/support/db";
import { Keyring } from "../../platform/crypto";
import type { Database } from "../../platform/db/client";
import { wechatTokens } from "../../platform/db/schema";
import { isAppError } from "../../platform/errors";
import type { RunningStandin } from "../../standins/server";
import { standinControl } from "../../standins/server";
import { createWechatStandin, DEFAULT_WECHAT_APP } from "../../standins/wechat/wechat-standin";
import { jsapiSignature } from "./jssdk";
import { createWechatClient, WECHAT_RENEW_MARGIN_MS } from "./wechat.client";
import { signJssdkConfig } from "./wechat.service";

/**
 * The jsapi_ticket against the WeChat stand-in: fetched once and kept sealed until near expiry, a
 * revoked token renewed once, WeChat's refusals reported with their code. One database (PGlite): no
 * concurrency across processes is claimed beyond the row's upsert.
 */
describe("WeChat jsapi_ticket and the JS-SDK config", () => {
  const wechat = createWechatStandin();
  let standin: RunningStandin;
  let database: Database;
  const keyring = new Keyring("k".repeat(40));
  let clock = new Date("2026-12-03T10:00:00Z");
  const client = () => createWechatClient({ database, keyring, apiUrl: standin.url, now: () => clock });

  beforeAll(async () => {
    standin = await wechat.start();
    database = await openTestPglite();
  });
  afterAll(async () => {
    await standin.close();
    await database.close();
  });
  beforeEach(async () => {
    await standinControl(standin.url, "reset");
    await database.db.delete(wechatTokens);
    clock = new Date("2026-12-03T10:00:00Z");
  });

  it("fetches token and ticket once, keeps both sealed, and renews only near expiry", async () => {
    const one = client();
    const first = await one.jsapiTicket(DEFAULT_WECHAT_APP);
    // A second process (another client) reuses the kept ticket: no call to WeChat.
    expect(await client().jsapiTicket(DEFAULT_WECHAT_APP)).toBe(first);
    expect(wechat.calls()).toEqual({ token: 1, ticket: 1 });
    const [row] = await database.db.select().from(wechatTokens);
    expect(row?.ticketCiphertext).not.toContain(first);
    expect(keyring.decrypt(row!.ticketCiphertext!)).toBe(first);

    clock = new Date(clock.getTime() + 7200_000 - WECHAT_RENEW_MARGIN_MS + 1000);
    const renewed = await one.jsapiTicket(DEFAULT_WECHAT_APP);
    expect(renewed).not.toBe(first);
    expect(wechat.calls()).toEqual({ token: 2, ticket: 2 });
  });

  it("asks once for concurrent pages of the same 公众号", async () => {
    const one = client();
    const all = await Promise.all([1, 2, 3, 4].map(() => one.jsapiTicket(DEFAULT_WECHAT_APP)));
    expect(new Set(all).size).toBe(1);
    expect(wechat.calls()).toEqual({ token: 1, ticket: 1 });
  });

  it("gets a new access token once when WeChat says the kept one is no longer valid", async () => {
    const one = client();
    await one.jsapiTicket(DEFAULT_WECHAT_APP);
    // The ticket is due, the kept token is still within its time but WeChat revoked it.
    await database.db.update(wechatTokens).set({ ticketExpiresAt: clock });
    await standinControl(standin.url, "revoke");
    const next = await one.jsapiTicket(DEFAULT_WECHAT_APP);
    expect(wechat.tickets().at(-1)).toBe(next);
    expect(wechat.calls()).toEqual({ token: 2, ticket: 3 });
  });

  it("reports a wrong secret and WeChat's failures with the code, keeping nothing", async () => {
    const refused = await client()
      .jsapiTicket({ appId: DEFAULT_WECHAT_APP.appId, secret: "wrong" })
      .catch((e) => e);
    expect(isAppError(refused) && refused.code).toBe("SERVICE_UNAVAILABLE");
    expect(refused.message).toContain("40125");

    await standinControl(standin.url, "fail", {
      endpoint: "ticket",
      errcode: 45009,
      errmsg: "api freq out of limit",
    });
    const limited = await client()
      .jsapiTicket(DEFAULT_WECHAT_APP)
      .catch((e) => e);
    expect(limited.message).toContain("45009");
    await standinControl(standin.url, "fail", { endpoint: "token", status: 503 });
    const down = await client()
      .jsapiTicket(DEFAULT_WECHAT_APP)
      .catch((e) => e);
    expect(isAppError(down) && down.code).toBe("SERVICE_UNAVAILABLE");
    expect(await database.db.select().from(wechatTokens)).toEqual([]);
    // Once WeChat answers again, it works.
    expect(await client().jsapiTicket(DEFAULT_WECHAT_APP)).toBe(wechat.tickets().at(-1));
  });

  it("signs a page of this deployment with the ticket, and refuses other addresses", async () => {
    const now = new Date("2026-12-03T10:00:00Z");
    const config = await signJssdkConfig(client(), DEFAULT_WECHAT_APP, {
      url: "https://fapiao.example.com/s/abcdefgh12345678#frag",
      allowedPrefix: "https://fapiao.example.com/s/",
      now,
    });
    expect(config).toMatchObject({
      appId: DEFAULT_WECHAT_APP.appId,
      timestamp: Math.floor(now.getTime() / 1000),
      jsApiList: ["chooseInvoiceTitle"],
    });
    expect(config.signature).toBe(
      jsapiSignature({
        ticket: wechat.tickets().at(-1)!,
        nonceStr: config.nonceStr,
        timestamp: config.timestamp,
        url: "https://fapiao.example.com/s/abcdefgh12345678",
      }),
    );
    for (const url of ["https://evil.example.com/s/x", "https://fapiao.example.com/admin/"]) {
      const e = await signJssdkConfig(client(), DEFAULT_WECHAT_APP, {
        url,
        allowedPrefix: "https://fapiao.example.com/s/",
      }).catch((x) => x);
      expect(e.code).toBe("VALIDATION_FAILED");
    }
  });
});
