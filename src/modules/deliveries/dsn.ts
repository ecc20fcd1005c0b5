/**
 * Reading a returned e-mail (RFC 3464 delivery status notification: multipart/report with
 * report-type=delivery-status, a message/delivery-status part and the original's headers) without a
 * MIME library: headers unfolded, nested multiparts walked, base64 and quoted-printable decoded.
 * Pure: no I/O. What is not a DSN (an auto-reply, a newsletter) reads as no failed recipients.
 */

export interface DsnRecipient {
  /** The address from Final-Recipient (or Original-Recipient), lower case. */
  address: string;
  /** failed | delayed | delivered | relayed | expanded */
  action: string;
  /** e.g. 5.1.1 */
  status: string;
  /** Diagnostic-Code without its type (smtp; …), or "" */
  diagnostic: string;
}

export interface ParsedBounce {
  /** True when the message is a delivery status report. */
  isDsn: boolean;
  recipients: DsnRecipient[];
  /** Message-IDs of the returned original (from its headers part), without angle brackets. */
  originalMessageIds: string[];
  /** Addresses the report itself was sent to (To, Delivered-To, X-Original-To, Envelope-To). */
  reportRecipients: string[];
}

type Headers = Map<string, string[]>;

interface Part {
  headers: Headers;
  body: string;
}

const MAX_DEPTH = 6;

export function parseBounce(raw: string | Buffer): ParsedBounce {
  const text = typeof raw === "string" ? raw : raw.toString("latin1");
  const top = splitPart(text);
  const out: ParsedBounce = {
    isDsn: false,
    recipients: [],
    originalMessageIds: [],
    reportRecipients: ["to", "delivered-to", "x-original-to", "envelope-to"].flatMap((h) =>
      (top.headers.get(h) ?? []).flatMap(addressesIn),
    ),
  };
  walk(top, 0, out);
  return out;
}

function walk(part: Part, depth: number, out: ParsedBounce): void {
  if (depth > MAX_DEPTH) return;
  const type = contentType(part.headers);
  if (type.value.startsWith("multipart/")) {
    if (type.value === "multipart/report" && /delivery-status/i.test(type.params["report-type"] ?? ""))
      out.isDsn = true;
    const boundary = type.params.boundary;
    if (!boundary) return;
    for (const child of splitMultipart(part.body, boundary)) walk(splitPart(child), depth + 1, out);
    return;
  }
  const body = decodeBody(part);
  if (type.value === "message/delivery-status" || type.value === "message/global-delivery-status") {
    out.isDsn = true;
    out.recipients.push(...readDeliveryStatus(body));
  } else if (type.value === "text/rfc822-headers" || type.value === "message/rfc822") {
    const original = splitPart(body);
    for (const id of original.headers.get("message-id") ?? []) {
      const m = /<([^<>\s]+)>/.exec(id) ?? /^\s*([^<>\s]+)\s*$/.exec(id);
      if (m?.[1]) out.originalMessageIds.push(m[1]);
    }
  }
}

/** The per-recipient field groups after the per-message one (groups are separated by blank lines). */
function readDeliveryStatus(body: string): DsnRecipient[] {
  const groups = body
    .replace(/\r\n/g, "\n")
    .split(/\n[ \t]*\n/)
    .map((g) => parseHeaders(g))
    .filter((h) => h.size > 0);
  const recipients: DsnRecipient[] = [];
  for (const g of groups) {
    const final = first(g, "final-recipient") || first(g, "original-recipient");
    const action = first(g, "action").toLowerCase();
    if (!final || !action) continue;
    const address = addressesIn(final.replace(/^[^;]*;/, ""))[0];
    if (!address) continue;
    recipients.push({
      address,
      action: action.split(/[\s(]/)[0] ?? action,
      status: first(g, "status").split(/\s/)[0] ?? "",
      diagnostic: first(g, "diagnostic-code")
        .replace(/^[^;]*;\s*/, "")
        .trim(),
    });
  }
  return recipients;
}

function first(h: Headers, name: string): string {
  return h.get(name)?.[0]?.trim() ?? "";
}

function splitPart(text: string): Part {
  const normal = text.replace(/\r?\n/g, "\r\n");
  const end = normal.search(/\r\n\r\n/);
  if (end < 0) return { headers: parseHeaders(normal), body: "" };
  return { headers: parseHeaders(normal.slice(0, end)), body: normal.slice(end + 4) };
}

function parseHeaders(block: string): Headers {
  const headers: Headers = new Map();
  const unfolded = block.replace(/\r\n/g, "\n").replace(/\n[ \t]+/g, " ");
  for (const line of unfolded.split("\n")) {
    const m = /^([!-9;-~]+):[ \t]*(.*)$/.exec(line);
    if (!m?.[1]) continue;
    const name = m[1].toLowerCase();
    const list = headers.get(name) ?? [];
    list.push(m[2] ?? "");
    headers.set(name, list);
  }
  return headers;
}

function contentType(headers: Headers): { value: string; params: Record<string, string> } {
  const raw = headers.get("content-type")?.[0] ?? "text/plain";
  const [value, ...rest] = raw.split(";");
  const params: Record<string, string> = {};
  for (const p of rest) {
    const m = /^\s*([\w*-]+)\s*=\s*(?:"([^"]*)"|([^\s;]*))/.exec(p);
    if (m?.[1]) params[m[1].toLowerCase()] = m[2] ?? m[3] ?? "";
  }
  return { value: (value ?? "").trim().toLowerCase(), params };
}

function splitMultipart(body: string, boundary: string): string[] {
  const parts: string[] = [];
  const marker = `--${boundary}`;
  const lines = body.split("\r\n");
  let current: string[] | null = null;
  for (const line of lines) {
    if (line.startsWith(marker)) {
      if (current) parts.push(current.join("\r\n"));
      if (line.slice(marker.length).startsWith("--")) return parts;
      current = [];
      continue;
    }
    current?.push(line);
  }
  if (current) parts.push(current.join("\r\n"));
  return parts;
}

function decodeBody(part: Part): string {
  const encoding = (part.headers.get("content-transfer-encoding")?.[0] ?? "").trim().toLowerCase();
  if (encoding === "base64") return Buffer.from(part.body.replace(/\s+/g, ""), "base64").toString("utf8");
  if (encoding === "quoted-printable")
    return Buffer.from(
      part.body
        .replace(/=\r\n/g, "")
        .replace(/=([0-9A-Fa-f]{2})/g, (_, h: string) => String.fromCharCode(Number.parseInt(h, 16))),
      "latin1",
    ).toString("utf8");
  return part.body;
}

/** Addresses in a header value (`Name <a@b>`, `a@b`, `rfc822; a@b`), lower case. */
function addressesIn(value: string): string[] {
  return [...value.matchAll(/<?([^\s<>,;:"]+@[^\s<>,;:"]+)>?/g)].map((m) => (m[1] ?? "").toLowerCase());
}
