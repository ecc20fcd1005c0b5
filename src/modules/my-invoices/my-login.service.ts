import { randomBytes, randomInt } from "node:crypto";
import { and, desc, eq, gt, lt, sql } from "drizzle-orm";
import type { AppContext } from "../../context";
import { isValidEmail, isValidMobile, normalizeEmail, normalizeMobile } from "../../domain";
import { sha256Hex } from "../../platform/crypto";
import type { DbOrTx } from "../../platform/db/client";
import { myLoginCodes, mySessions } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { rateLimited } from "../../platform/failure-limiter";
import { newId } from "../../platform/ids";
import { installationTemplate, loginCodeSmsMessage } from "../deliveries/sms";
import { maskEmail, maskMobile } from "../scan/masking";

/**
 * 我的发票's login (issue 22): a mobile number or e-mail address gets a one-time code, the code buys
 * a session of 30 days. Only an HMAC of the code and a SHA-256 of the session token are stored.
 * Every time here is `providers.clock()`, so tests move it.
 */
export const CODE_DIGITS = 6;
export const CODE_LIFETIME_MINUTES = 10;
/** Tries one code takes, the right one included; after that it is dead. */
export const CODE_MAX_ATTEMPTS = 5;
/** One contact is sent a code at most once a minute and 5 times an hour … */
export const CODE_RESEND_SECONDS = 60;
export const CODES_PER_CONTACT_PER_HOUR = 5;
/** … and one client address asks for at most 10 codes an hour, whatever the contacts. */
export const CODES_PER_ADDRESS_PER_HOUR = 10;
export const SESSION_DAYS = 30;

export type Channel = "email" | "sms";
export interface Contact {
  channel: Channel;
  /** E-mail lower-cased, mobile as 11 digits: what deliveries are matched with (lower(recipient)). */
  contact: string;
}

type LoginContext = Pick<AppContext, "database" | "providers" | "keyring" | "config" | "log">;

/** The contact typed, checked and normalized; a clear field error otherwise. */
export function readContact(input: { email?: string; mobile?: string }): Contact {
  if (input.email) {
    const email = normalizeEmail(input.email).toLowerCase();
    if (!isValidEmail(email)) throw AppError.validation({ email: "邮箱格式不正确" });
    return { channel: "email", contact: email };
  }
  const mobile = normalizeMobile(input.mobile ?? "");
  if (!isValidMobile(mobile)) throw AppError.validation({ mobile: "手机号格式不正确" });
  return { channel: "sms", contact: mobile };
}

export function maskContact(c: Contact): string {
  return (c.channel === "sms" ? maskMobile(c.contact) : maskEmail(c.contact)) ?? "";
}

function codeHash(ctx: Pick<AppContext, "keyring">, id: string, code: string): string {
  // A MAC under the master key, with the row's id: the same code in two rows hashes differently.
  return ctx.keyring.signLink(`my-login-code\n${id}\n${code}`);
}

const minutes = (at: Date, n: number) => new Date(at.getTime() + n * 60_000);

/**
 * Sends a new code to the contact, after the throttle: per contact (one a minute, 5 an hour) and per
 * client address (10 an hour), counted in `my_login_codes` under a lock per contact and per address,
 * so several processes count together. The code is sent before this returns; a failed send leaves
 * no code behind.
 */
export async function sendLoginCode(
  ctx: LoginContext,
  input: { email?: string; mobile?: string; ip: string },
): Promise<{ sentTo: string; expiresInSeconds: number; resendAfterSeconds: number }> {
  const who = readContact(input);
  if (who.channel === "sms" && installationTemplate(ctx.providers.sms, ctx.config.sms.codeTemplate) === null)
    throw AppError.validation({ mobile: "本站暂未开通短信验证码，请使用邮箱登录" });
  const now = ctx.providers.clock();
  const id = newId("mlc");
  const code = String(randomInt(0, 10 ** CODE_DIGITS)).padStart(CODE_DIGITS, "0");
  await ctx.database.db.transaction(async (tx) => {
    await lockKey(tx, `piaoma.my-code:${who.contact}`);
    await lockKey(tx, `piaoma.my-code-ip:${input.ip}`);
    const hourAgo = minutes(now, -60);
    const recent = await tx
      .select({ createdAt: myLoginCodes.createdAt })
      .from(myLoginCodes)
      .where(and(eq(myLoginCodes.contact, who.contact), gt(myLoginCodes.createdAt, hourAgo)))
      .orderBy(desc(myLoginCodes.createdAt));
    const latest = recent[0]?.createdAt;
    if (latest && now.getTime() - latest.getTime() < CODE_RESEND_SECONDS * 1000) {
      throw rateLimited(
        "验证码发送过于频繁，请稍后再试",
        latest.getTime() + CODE_RESEND_SECONDS * 1000 - now.getTime(),
      );
    }
    const fifth = recent[CODES_PER_CONTACT_PER_HOUR - 1]?.createdAt;
    if (fifth) {
      throw rateLimited(
        `${who.channel === "sms" ? "该手机号" : "该邮箱"}每小时最多获取 ${CODES_PER_CONTACT_PER_HOUR} 次验证码，请稍后再试`,
        fifth.getTime() + 3600_000 - now.getTime(),
      );
    }
    const fromAddress = await tx
      .select({ createdAt: myLoginCodes.createdAt })
      .from(myLoginCodes)
      .where(and(eq(myLoginCodes.ip, input.ip), gt(myLoginCodes.createdAt, hourAgo)))
      .orderBy(desc(myLoginCodes.createdAt))
      .offset(CODES_PER_ADDRESS_PER_HOUR - 1)
      .limit(1);
    if (fromAddress[0]) {
      throw rateLimited(
        "获取验证码过于频繁，请稍后再试",
        fromAddress[0].createdAt.getTime() + 3600_000 - now.getTime(),
      );
    }
    // Older codes of the contact stop working: only the newest one can log in.
    await tx
      .update(myLoginCodes)
      .set({ usedAt: now })
      .where(and(eq(myLoginCodes.contact, who.contact), sql`${myLoginCodes.usedAt} is null`));
    await tx.insert(myLoginCodes).values({
      id,
      channel: who.channel,
      contact: who.contact,
      codeHash: codeHash(ctx, id, code),
      expiresAt: minutes(now, CODE_LIFETIME_MINUTES),
      ip: input.ip,
      createdAt: now,
    });
  });
  try {
    await deliverCode(ctx, who, code);
  } catch (err) {
    ctx.log.warn({ err, channel: who.channel }, "my-invoices login code not sent");
    await ctx.database.db.delete(myLoginCodes).where(eq(myLoginCodes.id, id));
    throw new AppError("SERVICE_UNAVAILABLE", "验证码发送失败，请稍后重试");
  }
  return {
    sentTo: maskContact(who),
    expiresInSeconds: CODE_LIFETIME_MINUTES * 60,
    resendAfterSeconds: CODE_RESEND_SECONDS,
  };
}

async function lockKey(tx: DbOrTx, key: string): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${key}, 0))`);
}

async function deliverCode(ctx: LoginContext, who: Contact, code: string): Promise<void> {
  const link = myInvoicesUrl(ctx);
  if (who.channel === "sms") {
    const template = installationTemplate(ctx.providers.sms, ctx.config.sms.codeTemplate);
    if (template === null) throw new Error("PIAOMA_SMS_CODE_TEMPLATE is not set for the SMS gateway");
    await ctx.providers.sms.send(
      loginCodeSmsMessage({
        mobile: who.contact,
        signName: ctx.config.sms.signName,
        templateCode: template,
        code,
        minutes: CODE_LIFETIME_MINUTES,
        outId: newId("mlc"),
      }),
    );
    return;
  }
  await ctx.providers.mailer.send({
    to: who.contact,
    subject: `【票码】我的发票登录验证码 ${code}`,
    text: [
      "您好：",
      "",
      `您正在登录「我的发票」，验证码为：${code}`,
      `${CODE_LIFETIME_MINUTES} 分钟内有效，请勿告诉他人。如非本人操作，请忽略本邮件。`,
      "",
      `我的发票：${link}`,
      "",
      "此邮件由票码系统自动发送，请勿直接回复。",
    ].join("\n"),
    attachments: [],
  });
}

/** Where a consumer finds every invoice sent to them: PUBLIC_URL/my. */
export function myInvoicesUrl(ctx: { config: { publicUrl: string } }): string {
  return `${ctx.config.publicUrl}/my`;
}

/**
 * Checks a code against the contact's newest live code. Every try is counted first, in the same
 * statement that checks the code is still live (`attempts < 5`, not expired, not used), so parallel
 * guesses cannot get more than 5 comparisons; the right code then marks it used, once.
 */
export async function verifyLoginCode(
  ctx: LoginContext,
  input: { email?: string; mobile?: string; code: string },
): Promise<{ token: string; contact: Contact; expiresAt: Date }> {
  const who = readContact(input);
  const now = ctx.providers.clock();
  const { db } = ctx.database;
  const [latest] = await db
    .select()
    .from(myLoginCodes)
    .where(eq(myLoginCodes.contact, who.contact))
    .orderBy(desc(myLoginCodes.createdAt))
    .limit(1);
  const refuse = (message: string, details: Record<string, unknown> = {}) =>
    new AppError("VALIDATION_FAILED", message, { fields: { code: message }, ...details });
  if (!latest || latest.channel !== who.channel || latest.usedAt) throw refuse("请先获取验证码");
  if (latest.expiresAt.getTime() <= now.getTime()) throw refuse("验证码已过期，请重新获取");
  const [counted] = await db
    .update(myLoginCodes)
    .set({ attempts: sql`${myLoginCodes.attempts} + 1` })
    .where(
      and(
        eq(myLoginCodes.id, latest.id),
        lt(myLoginCodes.attempts, CODE_MAX_ATTEMPTS),
        sql`${myLoginCodes.usedAt} is null`,
        gt(myLoginCodes.expiresAt, now),
      ),
    )
    .returning({ attempts: myLoginCodes.attempts, codeHash: myLoginCodes.codeHash });
  if (!counted) throw refuse("验证码错误次数过多，请重新获取", { remainingAttempts: 0 });
  const typed = /^\d{6}$/.test(input.code) ? input.code : "";
  if (!typed || codeHash(ctx, latest.id, typed) !== counted.codeHash) {
    const left = CODE_MAX_ATTEMPTS - counted.attempts;
    throw refuse(left > 0 ? `验证码不正确，还可尝试 ${left} 次` : "验证码错误次数过多，请重新获取", {
      remainingAttempts: left,
    });
  }
  const [used] = await db
    .update(myLoginCodes)
    .set({ usedAt: now })
    .where(and(eq(myLoginCodes.id, latest.id), sql`${myLoginCodes.usedAt} is null`))
    .returning({ id: myLoginCodes.id });
  if (!used) throw refuse("验证码已使用，请重新获取");
  const token = randomBytes(32).toString("base64url");
  const expiresAt = minutes(now, SESSION_DAYS * 24 * 60);
  await db.insert(mySessions).values({
    id: newId("mys"),
    tokenHash: sha256Hex(token),
    channel: who.channel,
    contact: who.contact,
    expiresAt,
    createdAt: now,
  });
  return { token, contact: who, expiresAt };
}

/** The contact of a live session, or undefined. */
export async function resolveMySession(
  ctx: Pick<AppContext, "database" | "providers">,
  token: string,
): Promise<(Contact & { sessionId: string }) | undefined> {
  if (!token || token.length > 100) return undefined;
  const [row] = await ctx.database.db
    .select({ id: mySessions.id, channel: mySessions.channel, contact: mySessions.contact })
    .from(mySessions)
    .where(and(eq(mySessions.tokenHash, sha256Hex(token)), gt(mySessions.expiresAt, ctx.providers.clock())))
    .limit(1);
  if (!row) return undefined;
  return { sessionId: row.id, channel: row.channel === "sms" ? "sms" : "email", contact: row.contact };
}

export async function endMySession(ctx: Pick<AppContext, "database">, token: string): Promise<void> {
  if (!token) return;
  await ctx.database.db.delete(mySessions).where(eq(mySessions.tokenHash, sha256Hex(token)));
}

export const MY_LOGIN_CLEANUP_QUEUE = "my-login-cleanup";
/** Hourly (UTC cron); a code is of use for 10 minutes, and counted by the throttle for an hour. */
export const MY_LOGIN_CLEANUP_CRON = "23 * * * *";

/** Codes and sessions no longer of use, for the housekeeping (rows older than a day past their end). */
export async function deleteStaleLoginRows(ctx: Pick<AppContext, "database" | "providers">): Promise<number> {
  const dayAgo = minutes(ctx.providers.clock(), -24 * 60);
  const codes = await ctx.database.db
    .delete(myLoginCodes)
    .where(lt(myLoginCodes.createdAt, dayAgo))
    .returning({ id: myLoginCodes.id });
  const sessions = await ctx.database.db
    .delete(mySessions)
    .where(lt(mySessions.expiresAt, dayAgo))
    .returning({ id: mySessions.id });
  return codes.length + sessions.length;
}
