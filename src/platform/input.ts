import { z } from "zod";
import {
  cleanText,
  findTextProblem,
  foldWidth,
  normalizeIdentifier,
  type TextKind,
  textProblemMessage,
} from "../domain/text";

/**
 * The text gate (src/domain/text.ts) as zod schemas: every string a request, a command line or an
 * import file brings in is one of these, so a NUL, a control character, a lone surrogate or a date
 * PostgreSQL cannot store is a field error (422) and never reaches the database.
 *
 * Each helper starts a `z.string()` chain with the gate as its first check, so `.min()`, `.max()`,
 * `.regex()` chained after it see the normalised text. The check functions are built once, here;
 * schemas are built once at module load by their modules.
 */

type Payload = z.core.ParsePayload<string>;

function refuse(payload: Payload, message: string): void {
  // `continue: false`: the later checks (length, pattern) would only repeat the problem.
  payload.issues.push({ code: "custom", message, input: payload.value, continue: false });
}

function textGate(kind: TextKind) {
  return (payload: Payload) => {
    const clean = cleanText(payload.value, kind);
    if (clean.ok) payload.value = clean.value;
    else refuse(payload, textProblemMessage(clean.problem));
  };
}

const oneLineGate = textGate({});
const multiLineGate = textGate({ multiline: true });
const identifierGate = (payload: Payload) => {
  oneLineGate(payload);
  if (payload.issues.length === 0) payload.value = normalizeIdentifier(payload.value);
};
const foldedGate = (payload: Payload) => {
  oneLineGate(payload);
  if (payload.issues.length === 0) payload.value = foldWidth(payload.value);
};
const secretGate = (payload: Payload) => {
  const problem = findTextProblem(payload.value);
  if (problem) refuse(payload, textProblemMessage(problem));
};

/** `z.string()`'s own parameters: the message for a value that is not a string at all. */
type StringParams = Parameters<typeof z.string>[0];

/** One line of text: NFC, trimmed; no control characters, line breaks, bidi controls… */
export function oneLine(params?: StringParams): z.ZodString {
  return z.string(params).check(oneLineGate);
}

/** Text that may have several lines (发票备注, 小票底部备注): as one line, but LF allowed (CR LF → LF). */
export function multiLine(params?: StringParams): z.ZodString {
  return z.string(params).check(multiLineGate);
}

/** An identifier people type (a tax ID): one line, then NFKC-folded, spaces removed, uppercase. */
export function identifier(params?: StringParams): z.ZodString {
  return z.string(params).check(identifierGate);
}

/**
 * One line holding digits or an address people type (phone, bank account, e-mail, mobile): full-width
 * forms from a Chinese IME folded (NFKC: `１３８…`, `＠`, `－` → `138…`, `@`, `-`), spaces kept.
 */
export function folded(params?: StringParams): z.ZodString {
  return z.string(params).check(foldedGate);
}

/** A password: refused like one line of text, but kept exactly as typed (its bytes are hashed). */
export function secret(params?: StringParams): z.ZodString {
  return z.string(params).check(secretGate);
}

/**
 * A string with a format of its own (`z.url()`, `z.email()`) behind the gate: the gate sees the text
 * first (a URL parser would quietly drop a line break), then the format is checked.
 */
export function gated<T extends z.ZodType<string, string>>(schema: T) {
  return oneLine().pipe(schema);
}

/**
 * A whole number written in a query (`page=2`): digits only — `Number()` would also take `1e3`,
 * `0x10` or a number followed by a line break.
 */
export function integerText(min: number, max: number, message = `应为 ${min}–${max} 之间的整数`) {
  return oneLine()
    .regex(/^\d{1,15}$/, message)
    .transform(Number)
    .pipe(z.number().int().min(min, message).max(max, message));
}

/**
 * An id in a path or a filter (`org_…`, `rc_…`, `inv_…`): letters, digits, `_` and `-`. Anything else
 * cannot name a row, so it is a field error before any query.
 */
export function recordId(params?: StringParams): z.ZodString {
  return oneLine(params)
    .min(1, "请填写编号")
    .max(64, "编号过长")
    .regex(/^[A-Za-z0-9_-]+$/, "编号格式不正确");
}

/** Years a date may have: what an invoice, a filter or an expiry can mean (PostgreSQL stores more). */
export const MIN_YEAR = 1970;
export const MAX_YEAR = 9999;
const YEARS_MESSAGE = `年份须在 ${MIN_YEAR}–${MAX_YEAR} 之间`;
// The latest instant whose year is still MAX_YEAR in UTC: a late time with a negative offset on the
// last day would otherwise be year 10000 once stored.
const LAST_INSTANT = Date.UTC(MAX_YEAR, 11, 31, 23, 59, 59, 999);

function yearOf(text: string): number {
  return Number(text.slice(0, 4));
}

const dayBound = (payload: Payload) => {
  const year = yearOf(payload.value);
  if (year < MIN_YEAR || year > MAX_YEAR) refuse(payload, YEARS_MESSAGE);
};
const instantBound = (payload: Payload) => {
  const year = yearOf(payload.value);
  const time = Date.parse(payload.value);
  if (year < MIN_YEAR || year > MAX_YEAR || !(time <= LAST_INSTANT)) refuse(payload, YEARS_MESSAGE);
};

/** A day `YYYY-MM-DD` (China day in filters), years 1970–9999. */
export function isoDay(message = "日期格式应为 YYYY-MM-DD"): z.ZodISODate {
  return z.iso.date({ error: message }).check(dayBound);
}

/** An ISO-8601 date-time with its offset (`2026-11-22T12:30:00+08:00`), years 1970–9999. */
export function isoDateTime(message = "时间格式应为 ISO-8601（含时区）"): z.ZodISODateTime {
  return z.iso.datetime({ offset: true, error: message }).check(instantBound);
}
