import { sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import { chinaDateIso, chinaDayStart, INVOICE_TYPE_CODES } from "../../domain";
import type { HttpServer } from "../../platform/http";
import { exceptionCountsOf } from "../exceptions/exceptions.service";
import { stopDailyDigest } from "../users/users.digest";

/**
 * The daily digest: each morning (China time, from PIAOMA_DIGEST_HOUR) every organization's admins
 * who gave an e-mail address and did not opt out get yesterday's figures — invoices issued, blue
 * and red, 价税合计 net of the red ones, by type — and the open exceptions (异常中心's kinds and
 * counts). Run by a pg-boss cron job every few minutes in the workers; a digest is sent by the one
 * process that inserts its `digest_runs` row (primary key: organization and day), so two processes
 * never send it twice; a failed send deletes the row, and the next run tries again.
 */
export const DIGEST_QUEUE = "daily-digest";
export const DIGEST_CRON = "*/10 * * * *";

type DigestContext = Pick<AppContext, "database" | "providers" | "config" | "keyring" | "log">;

const rows = async <T>(ctx: Pick<AppContext, "database">, query: ReturnType<typeof sql>) =>
  ((await ctx.database.db.execute(query)) as unknown as { rows: T[] }).rows;

export interface DigestFigures {
  day: string;
  count: number;
  blue: number;
  red: number;
  /** 价税合计 of the day's invoices, red ones negative: net of reversals. */
  total: string;
  byType: Array<{ type: string; label: string; count: number; total: string }>;
  exceptions: Array<{ kind: string; label: string; count: number }>;
}

export async function digestFigures(
  ctx: Pick<AppContext, "database">,
  orgId: string,
  day: string,
): Promise<DigestFigures> {
  const from = chinaDayStart(day);
  const to = chinaDayStart(day, 1);
  const byType = await rows<{ invoice_type: string; color: string; n: number; total: string }>(
    ctx,
    sql`select invoice_type, color, count(*)::int as n, sum(total_amount)::numeric(18,2)::text as total
        from invoices where org_id = ${orgId} and issued_at >= ${from} and issued_at < ${to}
        group by invoice_type, color`,
  );
  const types = new Map<string, { count: number; cents: bigint }>();
  let blue = 0;
  let red = 0;
  for (const r of byType) {
    if (r.color === "red") red += r.n;
    else blue += r.n;
    const t = types.get(r.invoice_type) ?? { count: 0, cents: 0n };
    t.count += r.n;
    t.cents += toCents(r.total);
    types.set(r.invoice_type, t);
  }
  const cents = [...types.values()].reduce((a, t) => a + t.cents, 0n);
  const exceptions = (await exceptionCountsOf(ctx, orgId)).filter((e) => e.count > 0);
  return {
    day,
    count: blue + red,
    blue,
    red,
    total: fromCents(cents),
    byType: [...types].map(([type, t]) => ({
      type,
      label: INVOICE_TYPE_CODES[type as keyof typeof INVOICE_TYPE_CODES]?.name ?? type,
      count: t.count,
      total: fromCents(t.cents),
    })),
    exceptions,
  };
}

/** Amounts are exact decimal text with two places; summed here as whole fen. */
function toCents(text: string): bigint {
  const negative = text.startsWith("-");
  const [whole = "0", frac = ""] = text.replace("-", "").split(".");
  const cents = BigInt(whole) * 100n + BigInt(frac.padEnd(2, "0").slice(0, 2));
  return negative ? -cents : cents;
}

function fromCents(cents: bigint): string {
  const negative = cents < 0n;
  const abs = negative ? -cents : cents;
  return `${negative ? "-" : ""}${abs / 100n}.${String(abs % 100n).padStart(2, "0")}`;
}

export function unsubscribeUrl(ctx: Pick<AppContext, "config" | "keyring">, userId: string): string {
  const sig = ctx.keyring.signLink(`digest-unsubscribe:${userId}`);
  return `${ctx.config.publicUrl}/digest/unsubscribe?u=${encodeURIComponent(userId)}&s=${sig}`;
}

export function digestText(
  orgName: string,
  f: DigestFigures,
  links: { console: string; unsubscribe: string },
): string {
  const open = f.exceptions.reduce((a, e) => a + e.count, 0);
  return [
    `${orgName} ${f.day} 开票日报`,
    "",
    `开具发票：${f.count} 张（蓝字 ${f.blue} 张，红字 ${f.red} 张）`,
    `价税合计（扣除红字）：¥${f.total}`,
    ...f.byType.map((t) => `  ${t.label}：${t.count} 张，¥${t.total}`),
    "",
    open === 0 ? "待处理异常：无" : `待处理异常：${open} 项`,
    ...f.exceptions.map((e) => `  ${e.label}：${e.count}`),
    "",
    `打开控制台查看：${links.console}`,
    "",
    `不想再收到每日摘要？退订：${links.unsubscribe}`,
    "（也可以在控制台「我的设置」中开关）",
  ].join("\n");
}

/**
 * Sends the digests due at `now` (an injectable clock): from PIAOMA_DIGEST_HOUR China time, each
 * organization's digest of the day before, once. Returns how many digests this call sent.
 */
export async function runDailyDigests(ctx: DigestContext, options: { now?: Date } = {}): Promise<number> {
  const now = options.now ?? new Date();
  const chinaHour = new Date(now.getTime() + 8 * 3600_000).getUTCHours();
  if (chinaHour < ctx.config.digestHour) return 0;
  // China has no daylight saving: 24 hours ago is always yesterday there.
  const day = chinaDateIso(new Date(now.getTime() - 86_400_000));
  const orgs = await rows<{ id: string; name: string }>(
    ctx,
    sql`select o.id, o.name from organizations o
        where not exists (select 1 from digest_runs d where d.org_id = o.id and d.day = ${day})
        order by o.id`,
  );
  let sent = 0;
  for (const org of orgs) {
    const claimed = await rows(
      ctx,
      sql`insert into digest_runs (org_id, day) values (${org.id}, ${day}) on conflict do nothing returning org_id`,
    );
    if (claimed.length === 0) continue; // another process has it
    try {
      const recipients = await rows<{ id: string; email: string }>(
        ctx,
        sql`select u.id, u.email from users u join user_organizations m on m.user_id = u.id
            where m.org_id = ${org.id} and m.role = 'admin' and m.is_active
              and u.email is not null and u.daily_digest
            order by u.id`,
      );
      if (recipients.length > 0) {
        const figures = await digestFigures(ctx, org.id, day);
        for (const r of recipients) {
          await ctx.providers.mailer.send({
            to: r.email,
            subject: `【票码】${org.name} ${day} 开票日报`,
            text: digestText(org.name, figures, {
              console: `${ctx.config.publicUrl}/admin/`,
              unsubscribe: unsubscribeUrl(ctx, r.id),
            }),
            attachments: [],
          });
        }
      }
      await ctx.database.db.execute(
        sql`update digest_runs set recipients = ${recipients.length}, sent_at = now()
            where org_id = ${org.id} and day = ${day}`,
      );
      if (recipients.length > 0) sent += 1;
    } catch (err) {
      // Given back: the next run (another process, or this one) tries again.
      await ctx.database.db.execute(sql`delete from digest_runs where org_id = ${org.id} and day = ${day}`);
      ctx.log.warn({ err, orgId: org.id, day }, "daily digest not sent; tried again on the next run");
    }
  }
  return sent;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** `GET /digest/unsubscribe?u&s`: the digest e-mail's link; a small page says it is done. */
export function registerDigestRoutes(http: HttpServer, ctx: Pick<AppContext, "database" | "keyring">): void {
  http.get("/digest/unsubscribe", { schema: { hide: true } }, async (req, reply) => {
    const q = req.query as { u?: string; s?: string };
    const page = (status: number, title: string, body: string) =>
      reply
        .status(status)
        .header("content-type", "text/html; charset=utf-8")
        .header("cache-control", "no-store")
        .send(
          `<!doctype html><html lang="zh-CN"><meta charset="utf-8"><meta name="viewport" content="width=device-width">` +
            `<title>${escapeHtml(title)}</title><body style="font-family:sans-serif;padding:2em"><h1>${escapeHtml(title)}</h1><p>${escapeHtml(body)}</p></body></html>`,
        );
    const ok =
      typeof q.u === "string" &&
      typeof q.s === "string" &&
      q.u.length <= 100 &&
      ctx.keyring.verifyLink(`digest-unsubscribe:${q.u}`, q.s) &&
      (await stopDailyDigest(ctx, q.u));
    if (!ok) return page(400, "链接无效", "退订链接无效或已损坏，请在控制台「我的设置」中关闭每日摘要。");
    return page(
      200,
      "已退订每日摘要",
      "您将不再收到每日开票摘要邮件。可随时在控制台「我的设置」中重新开启。",
    );
  });
}
