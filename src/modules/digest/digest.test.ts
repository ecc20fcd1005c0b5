import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { createTestApp, submitAsCompany, type TestApp } from "../../../test/support/app";
import { loginAs, makeUser } from "../../../test/support/console";
import { databaseKinds } from "../../../test/support/db";
import { makeOrganization, makeReceiptCode } from "../../../test/support/factories";
import { type ReceivedMail, startSmtp, type TestSmtp } from "../../../test/support/smtp";
import { type App, buildApp } from "../../app";
import { chinaDateIso, chinaDayStart } from "../../domain";
import { invoices, userOrganizations, users } from "../../platform/db/schema";
import { createLogger } from "../../platform/logger";
import { drainDeliveries } from "../deliveries/deliveries.service";
import { runDailyDigests } from "./digest.service";

let app: TestApp | undefined;
let second: App | undefined;
let smtp: TestSmtp | undefined;
afterEach(async () => {
  await second?.close();
  await app?.close();
  await smtp?.close();
  app = second = smtp = undefined;
});

/** The text body of a single-part mail, transfer encoding undone. */
function bodyOf(mail: ReceivedMail): string {
  const at = mail.raw.indexOf("\r\n\r\n");
  const headers = mail.raw.slice(0, at).toLowerCase();
  const body = mail.raw.slice(at + 4);
  if (headers.includes("content-transfer-encoding: base64"))
    return Buffer.from(body, "base64").toString("utf8");
  if (headers.includes("content-transfer-encoding: quoted-printable")) {
    const bytes = body.replace(/=\r\n/g, "").replace(/=([0-9A-F]{2})/g, (_m, h: string) => `%${h}`);
    return decodeURIComponent(bytes.replace(/%(?![0-9A-F]{2})/g, "%25"));
  }
  return body;
}

for (const kind of databaseKinds()) {
  describe(`the daily digest [${kind}]`, () => {
    it("goes once a morning to each admin who wants it: yesterday's figures, open exceptions, an unsubscribe link", async () => {
      smtp = await startSmtp();
      app = await createTestApp(kind, { startJobs: false, env: { SMTP_URL: smtp.url } });
      const a = app;
      const org = await makeOrganization(a.ctx.database, { name: "杭州日报测试有限公司" });
      // Two admins and an operator; the admins set their address in 我的设置, one opts out.
      const wants = await makeUser(a.ctx.database, { orgIds: [org.id] });
      const optedOut = await makeUser(a.ctx.database, { orgIds: [org.id] });
      const operator = await makeUser(a.ctx.database, { orgIds: [org.id], roleIn: { [org.id]: "operator" } });
      const asWants = await loginAs(a, wants.username, wants.password);
      const bad = await asWants.put("/me/digest", { email: "not-an-address", dailyDigest: true });
      expect(bad.statusCode).toBe(422);
      expect(JSON.stringify(bad.json())).toContain("请输入正确的邮箱地址");
      expect(
        (await asWants.put("/me/digest", { email: "boss@example.com", dailyDigest: true })).json(),
      ).toEqual({
        email: "boss@example.com",
        dailyDigest: true,
      });
      const asOptedOut = await loginAs(a, optedOut.username, optedOut.password);
      expect(
        (await asOptedOut.put("/me/digest", { email: "cfo@example.com", dailyDigest: false })).statusCode,
      ).toBe(200);
      await a.ctx.database.db
        .update(users)
        .set({ email: "clerk@example.com" })
        .where(eq(users.id, operator.id));
      expect(
        (
          await a.ctx.database.db
            .select()
            .from(userOrganizations)
            .where(eq(userOrganizations.userId, operator.id))
        )[0]?.role,
      ).toBe("operator");

      // Today: two invoices issued, a third failed.
      const totals: string[] = [];
      for (let i = 0; i < 3; i++) {
        const code = await makeReceiptCode(a.ctx, org.id);
        const res = await submitAsCompany(a, code.token);
        expect(res.json().status).toBe("issued");
        totals.push(res.json().invoices[0].id);
      }
      await drainDeliveries(a.ctx);
      const sentBefore = smtp.mails.length; // the invoices' own e-mails
      await a.ctx.database.db
        .update(invoices)
        .set({ status: "failed", issuedAt: null })
        .where(eq(invoices.id, totals[2]!));

      const today = chinaDateIso(new Date());
      const tomorrowAt = (hour: number) => new Date(chinaDayStart(today, 1).getTime() + hour * 3600_000);

      // Before 08:00 China time nothing goes out.
      expect(await runDailyDigests(a.ctx, { now: tomorrowAt(7) })).toBe(0);

      // At 09:00 two processes run at once: one digest.
      second = await buildApp(a.config, {
        database: a.ctx.database,
        logger: createLogger("silent"),
        startJobs: false,
        serveWeb: false,
        providers: { mailer: a.ctx.providers.mailer },
      });
      const runs = await Promise.all([
        runDailyDigests(a.ctx, { now: tomorrowAt(9) }),
        runDailyDigests(second.ctx, { now: tomorrowAt(9) }),
      ]);
      expect(runs.reduce((x, y) => x + y, 0)).toBe(1);
      expect(await runDailyDigests(a.ctx, { now: tomorrowAt(10) })).toBe(0);
      const digests = smtp.mails.slice(sentBefore);
      expect(digests).toHaveLength(1);
      const [mail] = digests;
      expect(mail!.to).toEqual(["boss@example.com"]);
      expect(mail!.subject).toBe(`【票码】杭州日报测试有限公司 ${today} 开票日报`);
      const text = bodyOf(mail!);
      expect(text).toContain("开具发票：2 张（蓝字 2 张，红字 0 张）");
      const issued = await a.ctx.database.db.select().from(invoices).where(eq(invoices.status, "issued"));
      expect(issued).toHaveLength(2);
      const fen = issued.reduce((sum, i) => sum + Math.round(Number(i.totalAmount) * 100), 0);
      const total = `${Math.floor(fen / 100)}.${String(fen % 100).padStart(2, "0")}`;
      expect(text).toContain(`价税合计（扣除红字）：¥${total}`);
      expect(text).toContain(`电子发票（普通发票）：2 张，¥${total}`);
      expect(text).toMatch(/待处理异常：\d+ 项/);
      expect(text).toContain("开具失败");

      // The unsubscribe link turns it off; a tampered one changes nothing.
      const link = /退订：(\S+)/.exec(text)?.[1];
      expect(link).toBeDefined();
      const url = new URL(link!);
      const tampered = await a.http.inject({
        method: "GET",
        // Flip the signature's first character to a different one (replacing it by a fixed
        // character would leave it unchanged whenever the signature starts with that one).
        url: `${url.pathname}${url.search.replace(/s=(.)/, (_m, c: string) => `s=${c === "x" ? "y" : "x"}`)}`,
      });
      expect(tampered.statusCode).toBe(400);
      expect((await asWants.get("/me/digest")).json().dailyDigest).toBe(true);
      const done = await a.http.inject({ method: "GET", url: `${url.pathname}${url.search}` });
      expect(done.statusCode).toBe(200);
      expect(done.body).toContain("已退订每日摘要");
      expect((await asWants.get("/me/digest")).json().dailyDigest).toBe(false);

      // The next morning nobody in this organization wants it.
      const dayAfter = new Date(tomorrowAt(9).getTime() + 86_400_000);
      expect(await runDailyDigests(a.ctx, { now: dayAfter })).toBe(0);
      expect(smtp.mails.length).toBe(sentBefore + 1);
    });
  });
}
