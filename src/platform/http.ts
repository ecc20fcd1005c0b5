import { randomBytes } from "node:crypto";
import type { Server } from "node:http";
import type { Socket } from "node:net";
import swagger from "@fastify/swagger";
import swaggerUi from "@fastify/swagger-ui";
import fastJson from "fast-json-stringify";
import Fastify, { type FastifyError, type FastifyInstance, type FastifyPluginAsync } from "fastify";
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  validatorCompiler,
  type ZodTypeProvider,
} from "fastify-type-provider-zod";
import type { Logger } from "pino";
import { type ZodType, z } from "zod";
import "./zod-messages";
import type { TrustProxy } from "../config";
import { AppError, type ErrorCode, errorStatus } from "./errors";
import { registerSecurityHeaders } from "./security-headers";

export type HttpServer = FastifyInstance<
  import("node:http").Server,
  import("node:http").IncomingMessage,
  import("node:http").ServerResponse,
  Logger,
  ZodTypeProvider
>;

/**
 * Registers routes in their own encapsulated Fastify scope: the hooks, content-type parsers and
 * plugins added to `scope` apply to its routes only, never to the rest of the server (no URL
 * tests in root hooks). `prefix` is prepended to the scope's route paths.
 */
export async function registerScope(
  http: HttpServer,
  options: { prefix?: string },
  routes: (scope: HttpServer) => void | Promise<void>,
): Promise<void> {
  const plugin: FastifyPluginAsync<{ prefix?: string }, Server, ZodTypeProvider, Logger> = async (scope) => {
    await routes(scope);
  };
  await http.register(plugin, options);
}

/**
 * Every route of a server as registered (method, URL pattern, the statuses its response schema
 * declares), for tests that must cover them all.
 */
export interface RegisteredRoute {
  method: string;
  url: string;
  /** The status codes (`"200"`, `"4xx"`…) that have a response schema: the serializer's whitelist. */
  responses: string[];
}
export const registeredRoutes = new WeakMap<object, RegisteredRoute[]>();

export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

/** The error body of API.md as a response schema, for the routes' 4xx answers. */
export const errorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});

const REQUEST_ID = /^[A-Za-z0-9._-]{8,64}$/;

/** Server timeouts in milliseconds (config.tuning's http* settings). */
export interface HttpTimeouts {
  requestMs: number;
  headersMs: number;
  idleMs: number;
  keepAliveMs: number;
}

const DEFAULT_TIMEOUTS: HttpTimeouts = {
  requestMs: 120_000,
  headersMs: 30_000,
  idleMs: 300_000,
  keepAliveMs: 72_000,
};

export function createHttpServer(options: {
  logger: Logger;
  version: string;
  trustProxy?: TrustProxy;
  timeouts?: HttpTimeouts;
}): HttpServer {
  const timeouts = options.timeouts ?? DEFAULT_TIMEOUTS;
  const app = Fastify({
    // A client that sends its headers or body slowly, or stops halfway, holds a connection and a
    // parser: the whole request must arrive within requestTimeout (else 408 and the connection
    // closes). Only receiving is bounded, so a long export download or a slow handler is not cut;
    // a connection silent in both directions for idleMs is.
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    http: {
      headersTimeout: Math.min(timeouts.headersMs, timeouts.requestMs),
      // Node looks for overdue requests at this interval (30 s by default): a quarter of the limit
      // keeps the enforcement close to the configured value.
      connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(timeouts.requestMs / 4))),
    },
    loggerInstance: options.logger,
    // Each request's logger is made on its first use: most requests log nothing at the configured
    // level, and a pino child per request was ~2% of a scan's CPU (BENCHMARKS.md "Scan").
    childLoggerFactory: (logger, bindings, opts) =>
      opts.level === undefined
        ? (new LazyChildLogger(logger as unknown as BaseLogger, bindings, opts) as unknown as typeof logger)
        : logger.child(bindings, opts),
    // Behind a load balancer a request id may come in; otherwise make one.
    genReqId: (req) => {
      const incoming = req.headers["x-request-id"];
      return typeof incoming === "string" && REQUEST_ID.test(incoming) ? incoming : newRequestId();
    },
    bodyLimit: 1024 * 1024,
    // While stopping (SIGTERM), a request that still arrives on an open keep-alive connection is
    // served, with `Connection: close`, rather than refused with a 503: the process is draining,
    // not broken, and a proxy cannot retry a refused POST elsewhere.
    return503OnClosing: false,
    // Only behind a proxy that sets it: otherwise anyone could choose their address (rate limits).
    trustProxy: fastifyTrustProxy(options.trustProxy ?? false),
    // Query strings are decoded strictly too (parseQuery): invalid UTF-8 is a field error.
    routerOptions: { ignoreTrailingSlash: true, querystringParser: parseQuery },
    // Errors raised by the router before any handler (a malformed or over-long path) get the same
    // API.md error body as everything else.
    frameworkErrors: (error, _req, reply) => {
      const { status, body } = toErrorResponse(error);
      void (reply as unknown as { status(s: number): { send(b: ErrorBody): unknown } })
        .status(status)
        .send(body);
    },
    // Requests Node refuses before Fastify sees them (headers over the size limit, a malformed
    // request line) get the API.md error body too.
    clientErrorHandler: answerClientError,
  }).withTypeProvider<ZodTypeProvider>();

  // JSON bodies are decoded strictly: invalid UTF-8 is refused, never turned into U+FFFD.
  const parseJson = app.getDefaultJsonParser("error", "error");
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (req, body, done) => {
    const text = decodeUtf8(body as Buffer);
    if (text === null) return done(invalidUtf8(), undefined);
    parseJson(req, text, done);
  });

  const routes: RegisteredRoute[] = [];
  registeredRoutes.set(app, routes);
  app.addHook("onRoute", (r) => {
    const responses = Object.keys((r.schema?.response as object | undefined) ?? {});
    for (const method of [r.method].flat()) routes.push({ method, url: r.url, responses });
  });

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(responseSerializer);

  // Hooks on every request are plain callbacks, not async functions: no promise per request.
  app.addHook("onRequest", (req, reply, done) => {
    reply.header("x-request-id", req.id);
    done();
  });
  registerSecurityHeaders(app);
  // A refusal that knows when it ends (RATE_LIMITED) says so in Retry-After as well as in its body.
  app.addHook("onError", async (_req, reply, error) => {
    const seconds = error instanceof AppError ? error.details?.retryAfterSeconds : undefined;
    if (typeof seconds === "number") reply.header("retry-after", String(seconds));
  });

  app.setErrorHandler((error: FastifyError, req, reply) => {
    const { status, body } = toErrorResponse(error);
    if (status >= 500) req.log.error({ err: error }, "request failed");
    // The database refused a value the input gate should have stopped: worth knowing about.
    else if (databaseDataError(error)) req.log.warn({ err: error }, "database refused a value");
    else req.log.info({ code: body.error.code }, "request refused");
    return reply.status(status).send(body);
  });

  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({
      error: {
        code: "NOT_FOUND",
        message: "请求的地址不存在",
        details: { method: req.method, path: req.url.split("?")[0] },
      },
    } satisfies ErrorBody),
  );

  return app;
}

/**
 * 16 random hex characters per request, cut from a pool of random bytes drawn 4 KiB at a time: the
 * same ids as randomBytes(8) each, without a call into the random source per request (2.6 → 0.1 µs).
 */
let idPool = Buffer.alloc(0);
let idAt = 0;
function newRequestId(): string {
  if (idAt + 8 > idPool.length) {
    idPool = randomBytes(4096);
    idAt = 0;
  }
  idAt += 8;
  return idPool.toString("hex", idAt - 8, idAt);
}

/**
 * PIAOMA_TRUST_PROXY for Fastify: a hop count trusts the immediate peer and the hops before it up
 * to that many (so with 1 the client is the address the proxy saw, the last X-Forwarded-For entry,
 * whatever the client wrote before it); a list trusts only those peers. Fastify itself treats a bare
 * number as "trust nothing", hence the function.
 */
function fastifyTrustProxy(
  trust: TrustProxy,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trust === "number") return (_address, hop) => hop < trust;
  return trust;
}

/**
 * Responses are written by fast-json-stringify from the JSON Schema of their zod schema: only the
 * declared properties go out (the schema is the whitelist), about three times faster than running
 * zod over every response. Routes without a response schema fall back to JSON.stringify.
 */
function responseSerializer({ schema }: { schema: unknown }): (data: unknown) => string {
  if (schema instanceof z.ZodType) {
    const json = z.toJSONSchema(schema as ZodType, {
      io: "output",
      unrepresentable: "any",
      target: "draft-7",
    });
    return fastJson(json as Parameters<typeof fastJson>[0]) as (data: unknown) => string;
  }
  return (data) => JSON.stringify(data);
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const lenientUtf8 = new TextDecoder("utf-8");

/**
 * A query string as an object (repeated keys become arrays, `+` is a space). A value whose
 * percent-encoded bytes are not UTF-8 is not turned into U+FFFD and accepted: each bad byte sequence
 * becomes a lone surrogate, which the text gate (input.ts) refuses as a field error naming the
 * parameter. A malformed escape (`%2`) is kept as typed, like the default parser does.
 */
export function parseQuery(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  if (text === "") return out;
  for (const part of text.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const key = decodeQueryComponent(eq < 0 ? part : part.slice(0, eq));
    const value = eq < 0 ? "" : decodeQueryComponent(part.slice(eq + 1));
    const seen = out[key];
    if (seen === undefined) out[key] = value;
    else if (Array.isArray(seen)) seen.push(value);
    else out[key] = [seen, value];
  }
  return out;
}

function decodeQueryComponent(raw: string): string {
  const text = raw.includes("+") ? raw.replaceAll("+", " ") : raw;
  if (!text.includes("%")) return text;
  try {
    return decodeURIComponent(text);
  } catch {
    const bytes: Buffer[] = [];
    let last = 0;
    for (const m of text.matchAll(/%([0-9A-Fa-f]{2})/g)) {
      bytes.push(Buffer.from(text.slice(last, m.index), "utf8"), Buffer.from([Number.parseInt(m[1]!, 16)]));
      last = m.index + 3;
    }
    bytes.push(Buffer.from(text.slice(last), "utf8"));
    return lenientUtf8.decode(Buffer.concat(bytes)).replaceAll("\uFFFD", "\uDCFD");
  }
}

/** The text of UTF-8 bytes, or null when they are not valid UTF-8 (a lone surrogate's bytes included). */
export function decodeUtf8(bytes: Uint8Array): string | null {
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return null;
  }
}

export function invalidUtf8(): AppError {
  return new AppError("INVALID_JSON", "请求体不是合法的 JSON：含有无效的 UTF-8 字节");
}

/**
 * PostgreSQL's data exceptions for a value it cannot store: bad bytes for the encoding (22021), a
 * NUL in jsonb (22P05), a date out of range or malformed (22008, 22007), a number too large for its
 * column (22003). The input gate (input.ts) stops these first; this is the backstop that keeps them
 * a field error instead of a 500. Drizzle wraps the driver's error (DrizzleQueryError.cause).
 */
const DATA_ERRORS: Record<string, string> = {
  "22021": "包含无法保存的字符",
  "22P05": "包含无法保存的字符",
  "22008": "日期或时间超出范围",
  "22007": "日期或时间格式不正确",
  "22003": "数值超出范围",
};

export function databaseDataError(error: unknown): { code: string; column?: string } | null {
  let e = error as { code?: unknown; column?: unknown; cause?: unknown } | undefined;
  for (let depth = 0; e && typeof e === "object" && depth < 5; depth++) {
    if (typeof e.code === "string" && Object.hasOwn(DATA_ERRORS, e.code)) {
      return { code: e.code, ...(typeof e.column === "string" && e.column ? { column: e.column } : {}) };
    }
    e = e.cause as typeof e;
  }
  return null;
}

/** Maps any thrown value to the API.md error body. Internal details never leave a 5xx. */
export function toErrorResponse(error: unknown): { status: number; body: ErrorBody } {
  if (error instanceof AppError) {
    return {
      status: error.status,
      body: {
        error: {
          code: error.code,
          message: error.message,
          ...(error.details ? { details: error.details } : {}),
        },
      },
    };
  }
  if (hasZodFastifySchemaValidationErrors(error)) {
    const fields: Record<string, string> = {};
    for (const v of error.validation) {
      const key = fieldPath(v.instancePath, (v.params as { issue?: { path?: unknown[] } })?.issue?.path);
      const where =
        error.validationContext && error.validationContext !== "body" ? `${error.validationContext}.` : "";
      fields[`${where}${key}` || "body"] ??= v.message ?? "格式不正确";
    }
    return reply("VALIDATION_FAILED", "提交的内容有误，请检查标出的字段", { fields });
  }
  const data = databaseDataError(error);
  if (data) {
    const message = DATA_ERRORS[data.code] ?? "提交的内容无法保存";
    return reply(
      "VALIDATION_FAILED",
      `提交的内容有误：${message}`,
      data.column ? { fields: { [camelCase(data.column)]: message } } : undefined,
    );
  }
  const fe = error as Partial<FastifyError>;
  switch (fe.code) {
    case "FST_ERR_CTP_INVALID_JSON_BODY":
      return reply("INVALID_JSON", "请求体不是合法的 JSON");
    case "FST_ERR_CTP_EMPTY_JSON_BODY":
      return reply("INVALID_JSON", "请求体为空，但 Content-Type 声明为 JSON");
    case "FST_ERR_CTP_INVALID_MEDIA_TYPE":
      return reply("UNSUPPORTED_MEDIA_TYPE", "不支持的 Content-Type，请使用 application/json");
    case "FST_ERR_CTP_BODY_TOO_LARGE":
      return reply("PAYLOAD_TOO_LARGE", "请求体过大");
    case "FST_ERR_BAD_URL":
      return reply("BAD_REQUEST", "请求地址格式不正确");
    case "FST_ERR_MAX_PARAM_LENGTH":
      return reply("URI_TOO_LONG", "请求地址过长");
  }
  const status = fe.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    if (status === 404) return reply("NOT_FOUND", "请求的地址不存在");
    if (status === 429) return reply("RATE_LIMITED", "请求过于频繁，请稍后再试");
    return { status, body: { error: { code: "BAD_REQUEST", message: "请求格式不正确" } } };
  }
  return reply("INTERNAL", "服务器内部错误，请稍后再试");
}

function camelCase(column: string): string {
  return column.replace(/_([a-z])/g, (_m, c: string) => c.toUpperCase());
}

/**
 * Node's `clientError`: there is no request or reply, so the answer is written to the socket by
 * hand — still with the API.md error body. A reset connection gets nothing.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === "ECONNRESET" || socket.destroyed) return;
  const [code, status, message]: [ErrorCode, string, string] =
    error.code === "HPE_HEADER_OVERFLOW"
      ? ["HEADERS_TOO_LARGE", "431 Request Header Fields Too Large", "请求头过大"]
      : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
        ? ["REQUEST_TIMEOUT", "408 Request Timeout", "请求超时"]
        : ["BAD_REQUEST", "400 Bad Request", "请求格式不正确"];
  const body = JSON.stringify({ error: { code, message } } satisfies ErrorBody);
  // Never inside another answer already under way on this connection (as Node's own handler).
  const current = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !current?.headersSent) {
    socket.write(
      `HTTP/1.1 ${status}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy(error);
}

function reply(code: ErrorCode, message: string, details?: Record<string, unknown>) {
  return { status: errorStatus[code], body: { error: { code, message, ...(details ? { details } : {}) } } };
}

/** `/lines/2/amount` → `lines[2].amount` (the field-path convention of API.md). */
export function fieldPath(instancePath: string, issuePath?: unknown[]): string {
  const parts = issuePath?.length ? issuePath.map(String) : instancePath.split("/").filter(Boolean);
  let out = "";
  for (const p of parts) out += /^\d+$/.test(p) ? `[${p}]` : out ? `.${p}` : p;
  return out;
}

/** OpenAPI from the route schemas; `/docs` serves the interactive documentation. */
export async function registerOpenApi(
  app: HttpServer,
  version: string,
  /** The calls Piaoma makes to merchants (OpenAPI `webhooks`), described by the modules. */
  webhooks: Record<string, unknown> = {},
): Promise<void> {
  await app.register(swagger, {
    openapi: {
      // OpenAPI path items built by the modules (JSON, not typed against the spec's types here).
      webhooks: webhooks as never,
      info: {
        title: "票码 Piaoma API",
        version,
        description:
          "商户开放接口（/open/v1，HMAC-SHA256 签名）与消费者扫码开票接口（/api/scan）。" +
          "Merchant open API (signed) and the consumer scan-to-invoice API.",
      },
      components: {
        // The open API's four signing headers (API.md §1): every /open/v1 request carries all four.
        securitySchemes: {
          AppKey: { type: "apiKey", in: "header", name: "X-App-Key", description: "应用 app key" },
          Timestamp: {
            type: "apiKey",
            in: "header",
            name: "X-Timestamp",
            description: "Unix 秒，与服务器相差不超过 300 秒",
          },
          Nonce: {
            type: "apiKey",
            in: "header",
            name: "X-Nonce",
            description: "16–64 位随机串，窗口内不可重复",
          },
          Signature: {
            type: "apiKey",
            in: "header",
            name: "X-Signature",
            description:
              "hex(HMAC-SHA256(appSecret, METHOD\\nPATH_WITH_QUERY\\nTIMESTAMP\\nNONCE\\nSHA256_HEX(BODY)))",
          },
        },
      },
      tags: [
        { name: "open", description: "商户开放接口 Merchant open API" },
        { name: "scan", description: "消费者扫码开票 Consumer page API" },
        { name: "my", description: "我的发票 A consumer's invoices by mobile number or e-mail (/my)" },
        { name: "ops", description: "运维 Operations" },
      ],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, {
    routePrefix: "/docs",
    uiConfig: { docExpansion: "list", deepLinking: true },
  });
  app.get("/openapi.json", { schema: { hide: true } }, async () => app.swagger());
}

type LogMethod = "fatal" | "error" | "warn" | "info" | "debug" | "trace";
type BaseLogger = Pick<Logger, LogMethod | "child" | "level" | "isLevelEnabled" | "silent">;

/**
 * A request's logger, made (`parent.child(bindings)`) only when something is logged at a level the
 * parent writes, or when asked for a child: what it writes is exactly what the child would write.
 */
class LazyChildLogger {
  private made: BaseLogger | undefined;

  constructor(
    private readonly parent: BaseLogger,
    private readonly bindings: Record<string, unknown>,
    private readonly opts: object,
  ) {}

  private get logger(): BaseLogger {
    this.made ??= this.parent.child(this.bindings, this.opts);
    return this.made;
  }

  get level(): string {
    return (this.made ?? this.parent).level;
  }
  set level(level: string) {
    this.logger.level = level;
  }
  isLevelEnabled(level: string): boolean {
    return (this.made ?? this.parent).isLevelEnabled(level);
  }
  child(bindings: Record<string, unknown>, opts?: object): BaseLogger {
    return this.logger.child(bindings, opts) as BaseLogger;
  }
  silent(): void {}
  fatal(...args: unknown[]): void {
    this.write("fatal", args);
  }
  error(...args: unknown[]): void {
    this.write("error", args);
  }
  warn(...args: unknown[]): void {
    this.write("warn", args);
  }
  info(...args: unknown[]): void {
    this.write("info", args);
  }
  debug(...args: unknown[]): void {
    this.write("debug", args);
  }
  trace(...args: unknown[]): void {
    this.write("trace", args);
  }

  private write(level: LogMethod, args: unknown[]): void {
    if (!this.isLevelEnabled(level)) return;
    (this.logger[level] as (...a: unknown[]) => void)(...args);
  }
}
