import type { StandinClock } from "../clock";

/** One message a stand-in accepted, as the handset would show it. */
export interface AcceptedSms {
  messageId: string;
  mobile: string;
  signName: string;
  templateCode: string;
  params: string[];
  /** 【签名】 + the template with its variables filled in. */
  text: string;
  /** Characters of `text`; one billed SMS up to 70. */
  length: number;
  parts: number;
  outId: string;
  at: string;
  /** The report pushed for it, if any. */
  report?: "delivered" | "failed";
}

/** Per-number flow control over sliding windows (each provider has its own numbers and codes). */
export class NumberLimits {
  private sent = new Map<string, number[]>();

  constructor(
    private readonly clock: StandinClock,
    private readonly windows: Array<{ ms: number; max: number; code: string; message: string }>,
  ) {}

  /** The window a new message to `mobile` would break, or null (then the send is counted). */
  take(mobile: string): { code: string; message: string } | null {
    const now = this.clock.ms();
    const times = this.sent.get(mobile) ?? [];
    for (const w of this.windows) {
      if (times.filter((t) => t > now - w.ms).length >= w.max) return { code: w.code, message: w.message };
    }
    times.push(now);
    this.sent.set(mobile, times);
    return null;
  }

  reset(): void {
    this.sent.clear();
  }
}

export const billedParts = (text: string) => {
  const n = [...text].length;
  return n <= 70 ? 1 : Math.ceil(n / 67);
};

/** Scripted misbehaviour: `down` (connections dropped), `slowMs`, the next answers' error codes. */
export interface Misbehaviour {
  down: boolean;
  slowMs: number;
  failures: Array<{ code: string; times: number }>;
}

export function misbehaviourControl(m: Misbehaviour, action: string, body: Record<string, unknown>): unknown {
  if (action === "down") {
    m.down = body.on !== false;
    return { down: m.down };
  }
  if (action === "slow") {
    m.slowMs = typeof body.ms === "number" && body.ms >= 0 ? body.ms : 0;
    return { slowMs: m.slowMs };
  }
  if (action === "fail") {
    if (typeof body.code !== "string" || !body.code) throw new Error("fail: { code, times? }");
    m.failures.push({
      code: body.code,
      times: typeof body.times === "number" && body.times > 0 ? body.times : 1,
    });
    return { failing: m.failures.length };
  }
  return undefined;
}

/** Back to behaving: up, fast, no scripted errors. */
export function resetMisbehaviour(m: Misbehaviour): void {
  m.down = false;
  m.slowMs = 0;
  m.failures = [];
}

/**
 * The account's registered sign names and templates, as a test sets them up: `template` with the
 * template's id under `idKey` (阿里云 `code`, 腾讯云 `id`) and its `content`, `sign` with a `name`.
 */
export function accountControl(
  account: { templates: Map<string, string>; signs: Set<string> },
  idKey: "code" | "id",
  action: string,
  body: Record<string, unknown>,
): unknown {
  const id = body[idKey];
  if (action === "template" && typeof id === "string" && typeof body.content === "string") {
    account.templates.set(id, body.content);
    return { templates: Object.fromEntries(account.templates) };
  }
  if (action === "sign" && typeof body.name === "string") {
    account.signs.add(body.name);
    return { signs: [...account.signs] };
  }
  return undefined;
}

/**
 * The controls both SMS stand-ins answer alike: `tick`, the misbehaviour ones, `report` (the
 * stand-in's own push), `configure {reportUrl}`, and the account's `template` / `sign`.
 */
export function smsControl(
  standin: {
    misbehaviour: Misbehaviour;
    account: { templates: Map<string, string>; signs: Set<string> };
    idKey: "code" | "id";
    reportTo: { url: string | null };
    report: (body: Record<string, unknown>) => Promise<unknown>;
  },
  action: string,
  body: Record<string, unknown>,
): unknown {
  if (action === "tick") return {};
  const handled = misbehaviourControl(standin.misbehaviour, action, body);
  if (handled !== undefined) return handled;
  if (action === "report") return standin.report(body);
  if (action === "configure") {
    if (typeof body.reportUrl === "string") standin.reportTo.url = body.reportUrl;
    return { reportUrl: standin.reportTo.url };
  }
  const set = accountControl(standin.account, standin.idKey, action, body);
  if (set !== undefined) return set;
  throw new Error(`unknown control ${action}`);
}

/** The next scripted error code, if any (counted down). */
export function nextFailure(m: Misbehaviour): string | null {
  const f = m.failures[0];
  if (!f) return null;
  f.times -= 1;
  if (f.times <= 0) m.failures.shift();
  return f.code;
}

/** Posts a delivery report (JSON array) to the URL the account configured; returns Piaoma's answer. */
export async function pushReport(
  url: string,
  reports: unknown[],
): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(reports),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {}
  return { status: res.status, body };
}
