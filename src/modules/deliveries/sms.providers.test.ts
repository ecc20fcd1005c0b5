import type { AddressInfo } from "node:net";
import { eq, sql } from "drizzle-orm";
import pino from "pino";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, type TestApp } from "../../../test/support/app";
import { loginAs, makeUser } from "../../../test/support/console";
import { describeOneDatabase } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode, makeUscc } from "../../../test/support/factories";
import { waitUntil } from "../../../test/support/wait";
import { deliveries, orgIntegrations } from "../../platform/db/schema";
import { Sweeper } from "../../platform/sweeper";
import type { RunningStandin } from "../../standins/server";
import { standinControl } from "../../standins/server";
import {
  createAliyunSmsStandin,
  DEFAULT_ALIYUN_KEY,
  DEFAULT_ALIYUN_SIGN,
  DEFAULT_ALIYUN_TEMPLATE,
} from "../../standins/sms/aliyun-sms-standin";
import type { AcceptedSms } from "../../standins/sms/common";
import {
  createTencentSmsStandin,
  DEFAULT_TENCENT_KEY,
  DEFAULT_TENCENT_SDK_APP_ID,
  DEFAULT_TENCENT_SIGN,
  DEFAULT_TENCENT_TEMPLATE,
} from "../../standins/sms/tencent-sms-standin";
import { DELIVERY_SWEEP, deliverySweep, drainDeliveries } from "./deliveries.service";

const REPORT_TOKEN = "report-token-0123456789abcdef";

interface ProviderCase {
  id: "aliyun" | "tencent";
  start(): { start(): Promise<RunningStandin>; accepted(): AcceptedSms[] };
  env(url: string, wrongSecret?: boolean): Record<string, string>;
  sign: string;
  template: string;
  /** The provider's flow-control refusal for one number. */
  limitCode: string;
  signatureCode: string;
}

const cases: ProviderCase[] = [
  {
    id: "aliyun",
    start: () => createAliyunSmsStandin(),
    env: (url, wrong) => ({
      PIAOMA_SMS_PROVIDER: "aliyun",
      PIAOMA_ALIYUN_SMS_ACCESS_KEY_ID: DEFAULT_ALIYUN_KEY.accessKeyId,
      PIAOMA_ALIYUN_SMS_ACCESS_KEY_SECRET: wrong ? "not-the-secret" : DEFAULT_ALIYUN_KEY.accessKeySecret,
      PIAOMA_ALIYUN_SMS_API_URL: url,
      PIAOMA_SMS_REPORT_TOKEN: REPORT_TOKEN,
    }),
    sign: DEFAULT_ALIYUN_SIGN,
    template: DEFAULT_ALIYUN_TEMPLATE,
    limitCode: "isv.BUSINESS_LIMIT_CONTROL",
    signatureCode: "SignatureDoesNotMatch",
  },
  {
    id: "tencent",
    start: () => createTencentSmsStandin(),
    env: (url, wrong) => ({
      PIAOMA_SMS_PROVIDER: "tencent",
      PIAOMA_TENCENT_SMS_SECRET_ID: DEFAULT_TENCENT_KEY.secretId,
      PIAOMA_TENCENT_SMS_SECRET_KEY: wrong ? "not-the-key" : DEFAULT_TENCENT_KEY.secretKey,
      PIAOMA_TENCENT_SMS_SDK_APP_ID: DEFAULT_TENCENT_SDK_APP_ID,
      PIAOMA_TENCENT_SMS_API_URL: url,
      PIAOMA_SMS_REPORT_TOKEN: REPORT_TOKEN,
    }),
    sign: DEFAULT_TENCENT_SIGN,
    template: DEFAULT_TENCENT_TEMPLATE,
    limitCode: "LimitExceeded.PhoneNumberDailyLimit",
    signatureCode: "AuthFailure.SignatureFailure",
  },
];

let app: TestApp | undefined;
let standin: RunningStandin | undefined;
afterEach(async () => {
  await app?.close();
  await standin?.close();
  app = undefined;
  standin = undefined;
});

async function submitWithMobile(a: TestApp, orgId: string, mobile: string) {
  const code = await makeReceiptCode(a.ctx, orgId);
  const res = await a.http.inject({
    method: "POST",
    url: `/api/scan/${code.token}/submit`,
    payload: {
      invoiceType: "digital_normal",
      buyer: { type: "enterprise", name: "杭州某某贸易有限公司", taxId: makeUscc("91330100") },
      mobile,
    },
  });
  expect(res.json().status).toBe("issued");
  await drainDeliveries(a.ctx);
  const invoiceId = res.json().invoices[0].id as string;
  const [delivery] = await a.ctx.database.db
    .select()
    .from(deliveries)
    .where(eq(deliveries.invoiceId, invoiceId));
  return { token: code.token, delivery: delivery! };
}

const deliveryById = async (a: TestApp, id: string) =>
  (await a.ctx.database.db.select().from(deliveries).where(eq(deliveries.id, id)))[0]!;

async function setUp(c: ProviderCase, options: { wrongSecret?: boolean; configure?: boolean } = {}) {
  const created = c.start();
  standin = await created.start();
  app = await createTestApp(kindOf, { startJobs: false, env: c.env(standin.url, options.wrongSecret) });
  const org = await makeOrganization(app.ctx.database, { name: "杭州示例餐饮管理有限公司" });
  if (options.configure !== false)
    await app.ctx.database.db
      .insert(orgIntegrations)
      .values({ orgId: org.id, smsSignName: c.sign, smsTemplateCode: c.template });
  return { created, org, app, standin };
}

let kindOf: "pglite" | "postgres" = "pglite";

describeOneDatabase("SMS through the providers' stand-ins", (kind) => {
  for (const c of cases) {
    describe(c.id, () => {
      it("sends one billed SMS with the link, signed; the provider's report marks it delivered or failed", async () => {
        kindOf = kind;
        const { created, org, app: a, standin: s } = await setUp(c);
        await a.http.listen({ port: 0, host: "127.0.0.1" });
        const port = (a.http.server.address() as AddressInfo).port;
        const reportUrl = `http://127.0.0.1:${port}/sms/${c.id}/report/${REPORT_TOKEN}`;

        const first = await submitWithMobile(a, org.id, "13800138001");
        const [message] = created.accepted();
        expect(message).toBeDefined();
        expect(message!.mobile).toBe("13800138001");
        expect(message!.text).toBe(
          `【${c.sign}】杭州示例餐饮管理有限公司发票：${a.config.publicUrl}/s/${first.token}`,
        );
        expect(message!.length).toBeLessThanOrEqual(70);
        expect(message!.parts).toBe(1);
        const sent = await deliveryById(a, first.delivery.id);
        expect(sent).toMatchObject({ status: "sent", attempts: 1, providerMessageId: message!.messageId });

        await standinControl(s.url, "report", { reportUrl, success: true });
        expect(await deliveryById(a, first.delivery.id)).toMatchObject({ status: "delivered" });

        const second = await submitWithMobile(a, org.id, "13800138002");
        const pushed = (await standinControl(s.url, "report", { reportUrl, success: false })) as {
          reported: number;
          piaoma: { status: number };
        };
        expect(pushed).toMatchObject({ reported: 1, piaoma: { status: 200 } });
        const failed = await deliveryById(a, second.delivery.id);
        expect(failed.status).toBe("failed");
        expect(failed.lastError).toContain("短信未送达");
        expect(failed.reportedAt).not.toBeNull();
        // The first is left as reported; a wrong token is not an address at all.
        expect(await deliveryById(a, first.delivery.id)).toMatchObject({ status: "delivered" });
        const wrong = await a.http.inject({
          method: "POST",
          url: `/sms/${c.id}/report/not-the-token-0000000`,
          payload: [],
        });
        expect(wrong.statusCode).toBe(404);
      });

      it("records refusals and outages on the delivery; the sweep sends it once the provider is back", async () => {
        kindOf = kind;
        const { created, org, app: a, standin: s } = await setUp(c);
        const sweeper = new Sweeper(pino({ level: "silent" }));
        sweeper.define(deliverySweep(a.ctx));
        const makeDue = (id: string) =>
          a.ctx.database.db
            .update(deliveries)
            .set({ nextAttemptAt: sql`now() - interval '1 second'` })
            .where(eq(deliveries.id, id));

        await standinControl(s.url, "fail", { code: c.limitCode });
        const { delivery } = await submitWithMobile(a, org.id, "13900139001");
        const refused = await deliveryById(a, delivery.id);
        expect(refused).toMatchObject({ status: "pending", attempts: 1 });
        expect(refused.lastError).toContain(c.limitCode);

        await standinControl(s.url, "down", { on: true });
        await makeDue(delivery.id);
        expect(await sweeper.sweepOnce(DELIVERY_SWEEP)).toBe(1);
        const down = await deliveryById(a, delivery.id);
        expect(down).toMatchObject({ status: "pending", attempts: 2 });
        expect(down.lastError).toMatch(/network|fetch failed|socket/i);

        await standinControl(s.url, "down", { on: false });
        await makeDue(delivery.id);
        expect(await sweeper.sweepOnce(DELIVERY_SWEEP)).toBe(1);
        expect(await deliveryById(a, delivery.id)).toMatchObject({
          status: "sent",
          attempts: 3,
          lastError: null,
        });
        expect(created.accepted()).toHaveLength(1);
      });

      it("is refused with a wrong secret (the stand-in checks the signature); nothing is sent", async () => {
        kindOf = kind;
        const { created, org, app: a } = await setUp(c, { wrongSecret: true });
        const { delivery } = await submitWithMobile(a, org.id, "13700137001");
        const row = await deliveryById(a, delivery.id);
        expect(row.status).toBe("pending");
        expect(row.lastError).toContain(c.signatureCode);
        expect(created.accepted()).toHaveLength(0);
      });
    });
  }

  it("an organization without 短信签名 and template: the SMS waits, the reason on the delivery", async () => {
    kindOf = kind;
    const c = cases[0]!;
    const { created, org, app: a } = await setUp(c, { configure: false });
    const { delivery } = await submitWithMobile(a, org.id, "13600136001");
    const row = await deliveryById(a, delivery.id);
    expect(row.status).toBe("pending");
    expect(row.lastError).toContain("未设置短信签名和模板");
    expect(created.accepted()).toHaveLength(0);

    // The admin sets them in the console (checked for the provider's format), and the sweep sends it.
    const admin = await makeUser(a.ctx.database, { orgIds: [org.id] });
    const console = await loginAs(a, admin.username, admin.password);
    const bad = await console.put(`/orgs/${org.id}/sms-settings`, {
      signName: "票码",
      templateCode: "12345",
    });
    expect(bad.statusCode).toBe(422);
    expect(JSON.stringify(bad.json())).toContain("SMS_123456789");
    const half = await console.put(`/orgs/${org.id}/sms-settings`, {
      signName: "【票码】",
      templateCode: "",
    });
    expect(half.statusCode).toBe(422);
    const ok = await console.put(`/orgs/${org.id}/sms-settings`, {
      signName: c.sign,
      templateCode: c.template,
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({ provider: "aliyun", signName: c.sign, templateCode: c.template });
    expect(ok.json().templateText).toContain(`${a.config.publicUrl}/s/\${code}`);
    const sweeper = new Sweeper(pino({ level: "silent" }));
    sweeper.define(deliverySweep(a.ctx));
    await a.ctx.database.db
      .update(deliveries)
      .set({ nextAttemptAt: sql`now() - interval '1 second'` })
      .where(eq(deliveries.id, delivery.id));
    await sweeper.sweepOnce(DELIVERY_SWEEP);
    await waitUntil(async () => (await deliveryById(a, delivery.id)).status === "sent", "the SMS sent");
    expect(created.accepted()).toHaveLength(1);
  });
});
