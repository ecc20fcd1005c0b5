import { and, eq, isNull, lt, or } from "drizzle-orm";
import type { FastifyRequest } from "fastify";
import type { Actor, AppContext } from "../../context";
import { appCredentials, openApiNonces } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { decodeUtf8, type HttpServer, invalidUtf8 } from "../../platform/http";
import {
  isSignatureValid,
  isTimestampInWindow,
  NONCE_PATTERN,
  SIGNATURE_WINDOW_SECONDS,
} from "../../platform/signing";
import { findActiveAppSecret } from "../credentials/credentials.service";

export type AppActor = Extract<Actor, { type: "app" }>;

declare module "fastify" {
  interface FastifyRequest {
    openApiActor?: AppActor;
    /** The body bytes as received: the signature covers them, not a re-serialisation. */
    rawBody?: Buffer;
    /** Set when the body is not JSON (or not UTF-8); reported only after the signature is checked. */
    rawBodyInvalid?: AppError;
  }
}

const refuse = {
  SIGNATURE_INVALID: "签名校验失败，请按接口文档计算 X-Signature",
  TIMESTAMP_OUT_OF_WINDOW: "X-Timestamp 与服务器时间相差超过 300 秒",
  NONCE_REUSED: "X-Nonce 已被使用，每个请求需要新的随机串",
  APP_KEY_UNKNOWN: "X-App-Key 不存在或已吊销",
} as const;

/**
 * Makes a Fastify scope speak the signed open API: JSON bodies are kept as raw bytes, and every
 * request must carry a valid signature before its input is even validated. Each failure has its own
 * code (API.md §1). The nonce is written to the database last, so only a correctly signed request
 * can use one up, and a replay to any server process is refused by the primary key.
 */
export function installOpenApiSigning(scope: HttpServer, ctx: AppContext): void {
  // The root's JSON parser (strict UTF-8, no __proto__ keys), but a bad body is reported only after
  // the signature is checked.
  const parseJson = scope.getDefaultJsonParser("error", "error");
  scope.removeAllContentTypeParsers();
  scope.addContentTypeParser("application/json", { parseAs: "buffer" }, (req, body, done) => {
    const raw = body as Buffer;
    req.rawBody = raw;
    if (raw.length === 0) return done(null, undefined);
    const text = decodeUtf8(raw);
    if (text === null) {
      req.rawBodyInvalid = invalidUtf8();
      return done(null, undefined);
    }
    parseJson(req, text, (error, value) => {
      if (error) req.rawBodyInvalid = new AppError("INVALID_JSON", "请求体不是合法的 JSON");
      done(null, error ? undefined : value);
    });
  });
  scope.addHook("preValidation", async (req) => {
    req.openApiActor = await verifySignedRequest(ctx, req);
    if (req.rawBodyInvalid) throw req.rawBodyInvalid;
  });
}

async function verifySignedRequest(ctx: AppContext, req: FastifyRequest): Promise<AppActor> {
  const header = (name: string) => {
    const v = req.headers[name];
    return typeof v === "string" ? v.trim() : "";
  };
  const appKey = header("x-app-key");
  const timestamp = header("x-timestamp");
  const nonce = header("x-nonce");
  const signature = header("x-signature");
  if (!appKey || !timestamp || !nonce || !signature) {
    throw new AppError(
      "SIGNATURE_INVALID",
      "缺少签名请求头 X-App-Key / X-Timestamp / X-Nonce / X-Signature",
      {
        missing: ["x-app-key", "x-timestamp", "x-nonce", "x-signature"].filter((h) => !header(h)),
      },
    );
  }
  const now = Date.now();
  if (!isTimestampInWindow(timestamp, now)) {
    throw new AppError("TIMESTAMP_OUT_OF_WINDOW", refuse.TIMESTAMP_OUT_OF_WINDOW, {
      serverTime: Math.floor(now / 1000),
    });
  }
  if (!NONCE_PATTERN.test(nonce)) {
    throw new AppError("SIGNATURE_INVALID", "X-Nonce 须为 16–64 个可见 ASCII 字符");
  }
  const credentials = await findActiveAppSecret(ctx, appKey);
  if (!credentials) throw new AppError("APP_KEY_UNKNOWN", refuse.APP_KEY_UNKNOWN);
  const signed = {
    method: req.method,
    pathWithQuery: req.url,
    timestamp,
    nonce,
    body: req.rawBody ?? Buffer.alloc(0),
  };
  if (!isSignatureValid(credentials.appSecret, signed, signature.toLowerCase())) {
    throw new AppError("SIGNATURE_INVALID", refuse.SIGNATURE_INVALID);
  }
  if (!(await claimNonce(ctx, appKey, nonce, now))) throw new AppError("NONCE_REUSED", refuse.NONCE_REUSED);
  await touchLastUsed(ctx, appKey, now);
  return { type: "app", appKey, orgId: credentials.orgId };
}

/**
 * True the first time a nonce is seen within the window. Expired nonces are deleted by a scheduled
 * job (open-api.jobs.ts), not here: the request path only inserts.
 */
async function claimNonce(ctx: AppContext, appKey: string, nonce: string, nowMs: number): Promise<boolean> {
  // A nonce must outlive every timestamp that could still be accepted with it: twice the window.
  const expiresAt = new Date(nowMs + 2 * SIGNATURE_WINDOW_SECONDS * 1000);
  const inserted = await ctx.database.db
    .insert(openApiNonces)
    .values({ appKey, nonce, expiresAt })
    .onConflictDoNothing()
    .returning({ nonce: openApiNonces.nonce });
  return inserted.length > 0;
}

/** "Last used" for the console's key list, written at most once a minute per key. */
async function touchLastUsed(ctx: AppContext, appKey: string, nowMs: number): Promise<void> {
  await ctx.database.db
    .update(appCredentials)
    .set({ lastUsedAt: new Date(nowMs) })
    .where(
      and(
        eq(appCredentials.appKey, appKey),
        or(isNull(appCredentials.lastUsedAt), lt(appCredentials.lastUsedAt, new Date(nowMs - 60_000))),
      ),
    );
}

/** The acting app of a signed request (set by the hook). */
export function appActorOf(req: FastifyRequest): AppActor {
  if (!req.openApiActor) throw new AppError("SIGNATURE_INVALID", refuse.SIGNATURE_INVALID);
  return req.openApiActor;
}
