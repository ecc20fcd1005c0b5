import pino, { type Logger } from "pino";

export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: "piaoma" },
      // Fastify keeps these over its own: request lines without tokens, errors without values.
      serializers: { err: serializeError, req: serializeRequest },
      // Secrets and personal data that may pass through request logging.
      redact: {
        paths: [
          "req.headers.authorization",
          "req.headers.cookie",
          "req.headers['x-signature']",
          'res.headers["set-cookie"]',
          "*.password",
          "*.appSecret",
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}

const REDACTED = "[redacted]";

/**
 * Path segments and query values that are secrets in themselves: the receipt-code token (it opens
 * the consumer page, with the buyer's masked e-mail and mobile, and lets anyone resend), a signed
 * file link's `s`, a 3.1.01 link's `sig`, the SMS report URLs' token.
 */
const SECRET_PATHS = [/^(\/s\/)[^/?#]+/, /^(\/api\/scan\/)[^/?#]+/, /^(\/sms\/[a-z]+\/report\/)[^/?#]+/];
const SECRET_QUERY_KEYS = new Set(["s", "sig", "signature", "token", "secret", "password", "appsecret"]);

/** A request URL fit for the log: the token in `/s/{token}` and `/api/scan/{token}/…` and signatures removed. */
export function redactUrl(url: string): string {
  const q = url.indexOf("?");
  let path = q === -1 ? url : url.slice(0, q);
  for (const pattern of SECRET_PATHS) path = path.replace(pattern, `$1${REDACTED}`);
  if (q === -1) return path;
  const query = url
    .slice(q + 1)
    .split("&")
    .map((pair) => {
      const eq = pair.indexOf("=");
      const key = eq === -1 ? pair : pair.slice(0, eq);
      return eq !== -1 && SECRET_QUERY_KEYS.has(safeDecode(key).toLowerCase()) ? `${key}=${REDACTED}` : pair;
    })
    .join("&");
  return `${path}?${query}`;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

interface LoggedRequest {
  method?: string;
  url?: string;
  host?: string;
  ip?: string;
  socket?: { remotePort?: number };
}

/** What Fastify logs of a request (its own serializer's fields), with the URL redacted. */
function serializeRequest(req: LoggedRequest) {
  return {
    method: req.method,
    url: typeof req.url === "string" ? redactUrl(req.url) : req.url,
    host: req.host,
    remoteAddress: req.ip,
    remotePort: req.socket?.remotePort,
  };
}

/** Fields of a PostgreSQL error (pg and PGlite) that name things, never values. */
const DATABASE_ERROR_FIELDS = [
  "code",
  "severity",
  "constraint",
  "schema",
  "table",
  "column",
  "dataType",
] as const;
/** Properties that carry a query's values: dropped wherever they appear. */
const VALUE_PROPERTIES = new Set([
  "params",
  "parameters",
  "queryOptions",
  "detail",
  "where",
  "hint",
  "internalQuery",
  "cause",
]);

/**
 * Errors for the log without the data they were about. Drizzle's query error carries the
 * parameters in `params` and in its message and stack; a PostgreSQL error carries row values in
 * `detail` (`Key (email)=(…) already exists`) and, for data exceptions (class 22), in its message.
 * What is kept is what a person needs to find the fault: the SQL text with its placeholders, the
 * SQLSTATE code, the constraint, table and column names, and the stack frames.
 */
export function serializeError(err: unknown, depth = 0): unknown {
  if (!(err instanceof Error) && !isErrorLike(err)) return err;
  const e = err as Error & Record<string, unknown>;
  if (depth > 5) return { type: typeName(e), message: "[cause chain truncated]" };
  const out: Record<string, unknown> = {};
  let message: string;
  let type = typeName(e);
  if (isDatabaseError(e)) {
    // pg's DatabaseError, or PGlite's (minified class name; it also carries the query and params).
    type = "DatabaseError";
    message = databaseMessage(e);
    for (const field of DATABASE_ERROR_FIELDS) if (e[field] !== undefined) out[field] = e[field];
    if (typeof e.query === "string") out.query = e.query;
  } else if (isQueryError(e)) {
    message = `Failed query: ${e.query}`;
    out.query = e.query;
  } else {
    message = String(e.message ?? "");
    for (const [key, value] of Object.entries(e)) {
      if (VALUE_PROPERTIES.has(key)) continue;
      // An error held in a property (not as `cause`) would otherwise be written with all its fields.
      out[key] = value instanceof Error ? serializeError(value, depth + 1) : value;
    }
  }
  const result: Record<string, unknown> = { type, message, ...out, stack: stackFrames(e, type, message) };
  if (e.cause !== undefined) result.cause = serializeError(e.cause, depth + 1);
  if (Array.isArray(e.errors)) result.errors = e.errors.map((inner) => serializeError(inner, depth + 1));
  return result;
}

function isErrorLike(v: unknown): boolean {
  return typeof v === "object" && v !== null && typeof (v as Error).message === "string" && "stack" in v;
}

function typeName(e: Error): string {
  return e.constructor?.name && e.constructor.name !== "Object" ? e.constructor.name : e.name || "Error";
}

function isQueryError(e: Record<string, unknown>): e is Error & { query: string } & Record<string, unknown> {
  return typeof e.query === "string" && "params" in e;
}

function isDatabaseError(e: Record<string, unknown>): boolean {
  return typeof e.code === "string" && /^[0-9A-Z]{5}$/.test(e.code) && ("severity" in e || "routine" in e);
}

/**
 * PostgreSQL's own message names constraints, tables and types; only data exceptions (class 22:
 * `invalid input syntax for type uuid: "…"`, `value "…" is out of range`) quote the value itself.
 */
function databaseMessage(e: Error & Record<string, unknown>): string {
  const message = String(e.message ?? "");
  if (!String(e.code).startsWith("22")) return message;
  const colon = message.indexOf(": ");
  const head = colon === -1 ? message : `${message.slice(0, colon)}: ${REDACTED}`;
  return head.replace(/"[^"]*"/g, `"${REDACTED}"`);
}

/** The stack's frames under a header rebuilt from the safe message (the original repeats the message). */
function stackFrames(e: Error, type: string, message: string): string | undefined {
  if (typeof e.stack !== "string") return undefined;
  const frames = e.stack.split("\n").filter((line) => /^\s+at /.test(line));
  return [`${type}: ${message}`, ...frames].join("\n");
}

/** For a terminal (the command line's unexpected failures): the error and its causes, redacted alike. */
export function describeError(err: unknown): string {
  const lines: string[] = [];
  let current = serializeError(err);
  for (let i = 0; i < 6 && typeof current === "object" && current !== null; i++) {
    const e = current as { stack?: string; message?: string; code?: string; cause?: unknown };
    const text = `${e.stack ?? e.message ?? ""}${e.code ? ` (code ${e.code})` : ""}`;
    lines.push(i === 0 ? text : `Caused by: ${text}`);
    current = e.cause;
  }
  if (lines.length === 0) return String(err);
  return lines.join("\n");
}
