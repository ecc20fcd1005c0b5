/**
 * JSON for 金蝶: amounts travel as JSON numbers (CHANNELS.md §2.3: `"amount":0.10`), and Piaoma never
 * lets money pass through a float. A `JsonDecimal` holds the number's text and is written as it is,
 * so `0.10` stays `0.10` on the wire. Everything else is written as `JSON.stringify` writes it
 * (compact, UTF-8 text).
 */
export class JsonDecimal {
  constructor(readonly text: string) {
    if (!/^-?\d+(\.\d+)?$/.test(text)) throw new Error(`not a decimal number: ${text}`);
  }
}

export type JsonValue =
  | string
  | boolean
  | null
  | JsonDecimal
  | number
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue | undefined };

/** Compact JSON; `undefined` members are left out (as JSON.stringify does). */
export function writeJson(value: JsonValue): string {
  if (value instanceof JsonDecimal) return value.text;
  if (value === null || typeof value === "string" || typeof value === "boolean" || typeof value === "number")
    return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => writeJson(v)).join(",")}]`;
  const parts: string[] = [];
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined) continue;
    parts.push(`${JSON.stringify(key)}:${writeJson(v)}`);
  }
  return `{${parts.join(",")}}`;
}
