import type { FormInstance } from "antd";
import { ApiError } from "./api";

/** "lines[2].amount" → ["lines", 2, "amount"], the name path of an antd form field. */
export function toNamePath(path: string): Array<string | number> {
  const out: Array<string | number> = [];
  for (const part of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (part[2] !== undefined) out.push(Number(part[2]));
    else if (part[1] !== undefined) out.push(part[1]);
  }
  return out;
}

/** "lines[2].amount" → "lines.amount": the field a path points at, whatever the row. */
function fieldKey(path: string): string {
  return path.replace(/\[\d+\]/g, "");
}

/**
 * Shows a refusal at the form's fields (`fields` lists the keys the form shows, rows without
 * index: "serialNo", "lines.amount"). Returns the messages that match no field, for a banner above
 * the form (a whole-order problem such as the limit, or a field the form does not show).
 */
export function showFieldErrors(form: FormInstance, error: unknown, fields: readonly string[]): string[] {
  if (!(error instanceof ApiError)) return [error instanceof Error ? error.message : String(error)];
  const leftovers: string[] = [];
  const entries = Object.entries(error.fields);
  const shown = entries.filter(([path, message]) => {
    const known = fields.includes(fieldKey(path));
    if (!known) leftovers.push(message);
    return known;
  });
  form.setFields(shown.map(([path, message]) => ({ name: toNamePath(path), errors: [message] })));
  if (entries.length === 0) leftovers.push(error.message);
  return leftovers;
}

/** Clears the shown errors of the fields a change touched (top-level key), so a fixed field turns clean. */
export function clearChangedErrors(form: FormInstance, changed: Record<string, unknown>): void {
  const keys = Object.keys(changed);
  const stale = form
    .getFieldsError()
    .filter((f) => f.errors.length > 0 && keys.includes(String(f.name[0])))
    .map((f) => ({ name: f.name, errors: [] }));
  if (stale.length > 0) form.setFields(stale);
}
