import cookie from "@fastify/cookie";
import type { FastifyReply, FastifyRequest } from "fastify";
import { z } from "zod";
import type { AppContext } from "../../context";
import { AppError } from "../../platform/errors";
import { FailureLimiter } from "../../platform/failure-limiter";
import { errorBody, type HttpServer, registerScope } from "../../platform/http";
import { invoiceFileOf, sendInvoiceFile } from "../invoices/invoice-file";
import { RESENDS_PER_ADDRESS_PER_HOUR } from "../scan/resend-limits";
import { opensInline } from "../scan/scan.routes";
import {
  codeBody,
  codeResponse,
  detailResponse,
  fileParams,
  invoiceParams,
  listQuery,
  listResponse,
  loginBody,
  resendBody,
  resendResponse,
  sessionView,
} from "./my-invoices.schema";
import { findMyInvoiceForFile, getMyInvoice, listMyInvoices, resendMyInvoice } from "./my-invoices.service";
import {
  CODE_MAX_ATTEMPTS,
  type Contact,
  endMySession,
  maskContact,
  resolveMySession,
  SESSION_DAYS,
  sendLoginCode,
  verifyLoginCode,
} from "./my-login.service";

export const MY_COOKIE = "piaoma_my";
/** Wrong codes one client address may type in 10 minutes, across contacts (each code takes 5 anyway). */
export const CODE_FAILURES_PER_ADDRESS = 30;

const errors = { 401: errorBody, 404: errorBody, 409: errorBody, 422: errorBody, 429: errorBody };

function cookieOptions(ctx: AppContext) {
  return {
    // Only the API reads it; the page at /my is static.
    path: "/api/my",
    httpOnly: true,
    // The page's own requests only: a link or form from another site never carries it, so the
    // writes (resend, logout) need no CSRF token.
    sameSite: "strict" as const,
    secure: ctx.config.publicUrl.startsWith("https://"),
  };
}

declare module "fastify" {
  interface FastifyRequest {
    myContact?: Contact;
  }
}

/**
 * 我的发票 (`/api/my`, issue 22), in its own scope with its own cookie: login by a one-time code,
 * then the invoices delivered (or, not issued yet, to be delivered) to that mobile number or e-mail
 * address. Every route behind the login
 * reads invoices through the module's `visible` condition.
 */
export async function registerMyInvoicesRoutes(http: HttpServer, ctx: AppContext): Promise<void> {
  await registerScope(http, { prefix: "/api/my" }, async (app) => {
    await app.register(cookie);
    myRoutes(app, ctx);
  });
}

function myRoutes(app: HttpServer, ctx: AppContext): void {
  const tags = ["my"];
  const wrongCodes = new FailureLimiter(CODE_FAILURES_PER_ADDRESS, 10 * 60_000);
  const resends = new FailureLimiter(RESENDS_PER_ADDRESS_PER_HOUR, 3600_000);

  const contactOf = async (req: FastifyRequest): Promise<Contact> => {
    const session = await resolveMySession(ctx, req.cookies?.[MY_COOKIE] ?? "");
    if (!session) throw new AppError("UNAUTHENTICATED", "请先登录");
    return session;
  };

  app.post(
    "/code",
    {
      schema: {
        tags,
        summary: "我的发票 · 获取验证码 Send a login code",
        description:
          "Sends a 6-digit code, valid 10 minutes, by SMS to `mobile` or by e-mail to `email`. One contact gets a code at most once a minute and 5 times an hour, one client address 10 times an hour (429 `RATE_LIMITED` with `Retry-After`). A newer code replaces the older ones.",
        body: codeBody,
        response: { 202: codeResponse, ...errors, 503: errorBody },
      },
    },
    async (req, reply) => reply.status(202).send(await sendLoginCode(ctx, { ...req.body, ip: req.ip })),
  );

  app.post(
    "/session",
    {
      schema: {
        tags,
        summary: "我的发票 · 登录 Log in with the code",
        description: `The code of the contact's newest request. Each code takes ${CODE_MAX_ATTEMPTS} tries (the right one included); then, or after 10 minutes, a new one must be asked for (422 \`VALIDATION_FAILED\`, \`details.fields.code\`). On success an HttpOnly cookie holds the session for ${SESSION_DAYS} days.`,
        body: loginBody,
        response: { 200: sessionView, ...errors },
      },
    },
    async (req, reply) => {
      wrongCodes.check(req.ip, "验证码错误次数过多，请稍后再试");
      let session: Awaited<ReturnType<typeof verifyLoginCode>>;
      try {
        session = await verifyLoginCode(ctx, req.body);
      } catch (e) {
        if ((e as AppError).code === "VALIDATION_FAILED") wrongCodes.record(req.ip);
        throw e;
      }
      reply.setCookie(MY_COOKIE, session.token, {
        ...cookieOptions(ctx),
        maxAge: SESSION_DAYS * 24 * 3600,
      });
      return { channel: session.contact.channel, contact: maskContact(session.contact) };
    },
  );

  app.get(
    "/session",
    {
      schema: {
        tags,
        summary: "我的发票 · 当前登录 The session's contact",
        response: { 200: sessionView, ...errors },
      },
    },
    async (req) => {
      const who = await contactOf(req);
      return { channel: who.channel, contact: maskContact(who) };
    },
  );

  app.delete(
    "/session",
    { schema: { tags, summary: "我的发票 · 退出登录 Log out", response: { 204: z.null() } } },
    async (req, reply: FastifyReply) => {
      await endMySession(ctx, req.cookies?.[MY_COOKIE] ?? "");
      reply.clearCookie(MY_COOKIE, cookieOptions(ctx));
      return reply.status(204).send();
    },
  );

  app.get(
    "/invoices",
    {
      schema: {
        tags,
        summary: "我的发票 · 列表 The invoices delivered to the session's contact",
        description:
          "Every invoice sent to the session's mobile number or e-mail address (by a delivery to it), and every invoice without a number (`issuing`, `awaiting_review` for the merchant's review, `failed` with its `failureMessage`) whose submit gave that address or number, across organizations that list their invoices, newest first; each red invoice right after its blue one. Filters: `seller` (an id from `sellers`), `month` (`YYYY-MM`, China time). 20 a page.",
        querystring: listQuery,
        response: { 200: listResponse, ...errors },
      },
    },
    async (req) => listMyInvoices(ctx, await contactOf(req), req.query),
  );

  app.get(
    "/invoices/:id",
    {
      schema: {
        tags,
        summary: "我的发票 · 发票 One invoice with its red invoices, as a re-scan shows it",
        params: invoiceParams,
        response: { 200: detailResponse, ...errors },
      },
    },
    async (req) => getMyInvoice(ctx, await contactOf(req), req.params.id),
  );

  app.post(
    "/invoices/:id/resend",
    {
      schema: {
        tags,
        summary: "我的发票 · 重新发送 Resend by e-mail or SMS",
        description:
          "Sends the invoice (and its red invoices) again: at most 5 an hour per invoice, 10 resent messages per 24 hours to one address or number (with the re-scan's), 10 resends an hour per client address.",
        params: invoiceParams,
        body: resendBody,
        response: { 202: resendResponse, ...errors },
      },
    },
    async (req, reply) => {
      const who = await contactOf(req);
      resends.check(req.ip, "发送过于频繁，请稍后再试");
      await resendMyInvoice(ctx, who, req.params.id, req.body);
      resends.record(req.ip);
      return reply.status(202).send({ status: "queued" as const });
    },
  );

  app.get(
    "/files/:file",
    {
      schema: {
        tags,
        summary: "我的发票 · 下载 PDF / OFD / XML",
        description:
          "`<invoice id>.pdf|ofd|xml`; `?inline=1` (and WeChat's or Alipay's browser) opens it in place.",
        params: fileParams,
        querystring: z.object({ inline: z.enum(["0", "1"]).optional() }),
      },
    },
    async (req, reply) => {
      const who = await contactOf(req);
      const { invoiceId, kind } = invoiceFileOf(req.params.file);
      return sendInvoiceFile(ctx, reply, {
        invoice: await findMyInvoiceForFile(ctx, who, invoiceId),
        kind,
        disposition: opensInline(req.query.inline, req.headers["user-agent"]) ? "inline" : "attachment",
        cacheControl: "private, no-store",
        notFound: "发票不存在或不属于当前登录的手机号/邮箱",
        notStored: "发票文件尚未生成，请稍后再试",
      });
    },
  );
}
