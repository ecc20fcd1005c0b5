/**
 * The 金蝶 ChannelAdapter as the server builds it (registry definition, settings sealed, tokens in
 * `channel_tokens`) against the kingdee stand-in. The issuing path through it: kingdee.issuing.test.ts.
 */
import { afterEach, beforeEach, expect, it } from "vitest";
import { describeEachDatabase, openTestDatabase } from "../../../../../test/support/db";
import { Keyring } from "../../../../platform/crypto";
import type { Database } from "../../../../platform/db/client";
import { channelTokens } from "../../../../platform/db/schema";
import { type KingdeeStandin, startKingdeeStandin } from "../../../../standins/kingdee";
import {
  ChannelAccountError,
  type ChannelAdapter,
  ChannelUnavailableError,
  type IssueRequest,
} from "../channel";
import { channelDefinition, prepareSettings } from "../channel-registry";
import { registerBuiltInChannels } from "../channels";
import { kingdeeInvoice } from "./kingdee.fixtures";

const keyring = new Keyring("kingdee-channel-test-secret");
let database: Database;
let standin: KingdeeStandin;
let serialSeq = 0;

function adapter(allowPrivateUrls = true): ChannelAdapter {
  registerBuiltInChannels();
  return channelDefinition("kingdee")!.create({ database, keyring, allowPrivateUrls });
}

function sealed(input: Record<string, unknown> = standin.adapterSettings()): Record<string, unknown> {
  registerBuiltInChannels();
  return prepareSettings("kingdee", input, { keyring, allowPrivateUrls: true });
}

function request(settings: Record<string, unknown>, overrides: Partial<IssueRequest> = {}): IssueRequest {
  serialSeq += 1;
  const serial = `PM01KDCH${String(serialSeq).padStart(4, "0")}${"0".repeat(14)}`;
  const f = kingdeeInvoice(serial);
  return {
    serial,
    invoiceType: f.invoiceType,
    color: "blue",
    seller: {
      name: f.seller.name,
      taxId: f.seller.taxId,
      address: f.seller.address ?? "",
      phone: f.seller.phone ?? "",
      bankName: f.seller.bank ?? "",
      bankAccount: f.seller.bankAccount ?? "",
    },
    buyer: {
      type: f.buyer.type,
      name: f.buyer.name,
      taxId: f.buyer.taxId,
      naturalPerson: false,
      bankName: "工商银行杭州分行",
      bankAccount: "1202000000000000001",
    },
    lines: f.lines,
    totals: f.totals,
    remark: "桌号 12",
    drawer: "张三",
    payee: "李四",
    reviewer: "王五",
    settings,
    ...overrides,
  };
}

const SELLER = kingdeeInvoice("PM0").seller.taxId;

describeEachDatabase("the 金蝶 channel adapter", (kind) => {
  beforeEach(async () => {
    database = await openTestDatabase(kind);
    standin = await startKingdeeStandin({ tenant: { encryption: "aes", aesPassword: "tenant-aes" } });
  });
  afterEach(async () => {
    await standin.close();
    await database.close();
  });

  it("issues (开票中, then the number and the channel's files), the whole invoice sent as the request had it", async () => {
    const settings = sealed();
    const ch = adapter();
    const req = request(settings);
    expect(await ch.issue(req)).toEqual({ status: "pending" });
    expect(await ch.query(req.serial, settings, { sellerTaxId: SELLER })).toMatchObject({
      status: "pending",
    });
    standin.advance(3000);
    const done = await ch.query(req.serial, settings, { sellerTaxId: SELLER });
    expect(done).toMatchObject({
      status: "issued",
      number: expect.stringMatching(/^\d{20}$/),
      files: [
        { kind: "pdf", url: expect.stringContaining(`${standin.baseUrl}/files/`) },
        { kind: "ofd", url: expect.any(String) },
        { kind: "xml", url: expect.any(String) },
      ],
    });
    expect(standin.invoice(req.serial)?.request).toMatchObject({
      serialNo: req.serial,
      drawer: "张三",
      payee: "李四",
      reviewer: "王五",
      remark: "桌号 12",
      buyerBank: "工商银行杭州分行",
      sellerBank: req.seller.bankName,
    });
    // Asked again for the same serial: the duplicate (10127) is resolved by a query, never re-issued.
    expect(await ch.issue(req)).toMatchObject({ status: "issued" });
    expect(standin.state().invoices).toHaveLength(1);
    // A red invoice reversing it (not booked by the buyer: issued at once).
    const blue = done as { number: string };
    const red = request(settings, { color: "red", reverses: { number: blue.number, reason: "开票有误" } });
    expect(await ch.issue(red)).toMatchObject({ status: "pending" });
    standin.advance(3000);
    expect(await ch.query(red.serial, settings, { color: "red", sellerTaxId: SELLER })).toMatchObject({
      status: "issued",
    });
  });

  it("keeps one access token, sealed, for every adapter and process; one new login when it is refused", async () => {
    const settings = sealed();
    await adapter().issue(request(settings));
    await Promise.all([adapter().issue(request(settings)), adapter().issue(request(settings))]);
    expect(standin.counters()).toMatchObject({ appToken: 1, login: 1 });
    const rows = await database.db.select().from(channelTokens);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      channel: "kingdee",
      key: expect.stringMatching(/^kingdee:[0-9a-f]{64}$/),
    });
    const token = keyring.decrypt(rows[0]!.tokenCiphertext);
    expect(token).toMatch(/^AT-/);
    expect(rows[0]!.tokenCiphertext).not.toContain(token);
    expect(rows[0]!.expiresAt!.getTime()).toBeGreaterThan(Date.now() + 7_000_000);

    standin.expireTokens();
    expect((await adapter().issue(request(settings))).status).toBe("pending");
    expect(standin.counters()).toMatchObject({ appToken: 2, login: 2 });
  });

  it("settings, URLs and the account's state are account problems, a refusal keeps 金蝶's code", async () => {
    const settings = sealed();
    const ch = adapter();
    const broken = { ...settings, userType: "Email" };
    const misconfigured = await ch.issue(request(broken)).catch((e) => e);
    expect(misconfigured).toBeInstanceOf(ChannelAccountError);
    expect(misconfigured).toMatchObject({ problem: "misconfigured", accountStatus: "offline" });
    expect(misconfigured.message).toContain("userType");

    const refused = await adapter(false)
      .issue(request(settings))
      .catch((e) => e);
    expect(refused).toMatchObject({ problem: "misconfigured", code: "URL_REFUSED" });

    standin.scenario({ session: "needsFaceAuth" });
    const face = await ch.issue(request(settings)).catch((e) => e);
    expect(face).toMatchObject({ problem: "identity_verification_due", accountStatus: "reauth" });
    expect(await ch.accountStatus!(settings, { sellerTaxId: SELLER })).toMatchObject({
      status: "reauth",
      problem: "identity_verification_due",
    });
    standin.scenario({ session: "online", rejectNext: { code: "40001", message: "商品编码不存在" } });
    expect(await ch.issue(request(settings))).toMatchObject({
      status: "rejected",
      code: "KINGDEE_40001",
      message: "商品编码不存在",
      consumerMessage: expect.any(String),
    });
    expect(await ch.accountStatus!(settings, { sellerTaxId: SELLER })).toMatchObject({
      status: "online",
      creditLine: { available: "1000000.00" },
    });
    // 金蝶 queries by serial and seller: without the seller the outcome is unknown, nothing is assumed.
    await expect(ch.query("PM01KDCHUNKNOWN00000000000000", settings)).rejects.toBeInstanceOf(
      ChannelUnavailableError,
    );
    expect(await ch.query("PM01KDCHUNKNOWN00000000000000", settings, { sellerTaxId: SELLER })).toBeNull();
  });
});
