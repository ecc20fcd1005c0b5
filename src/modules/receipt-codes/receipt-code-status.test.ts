import { describe, expect, it } from "vitest";
import type { AppError } from "../../platform/errors";
import {
  assertCodeUsable,
  CODE_MOVES,
  CODE_TRANSITIONS,
  codeMoveSetSql,
  DISABLEABLE,
  effectiveStatus,
} from "./receipt-code-status";

describe("the receipt code's status", () => {
  const now = new Date("2026-03-05T00:00:00Z");
  const later = new Date("2026-03-06T00:00:00Z");
  const earlier = new Date("2026-03-04T00:00:00Z");

  it("is expired when active past its validity, and only then", () => {
    expect(effectiveStatus({ status: "active", expiresAt: earlier }, now)).toBe("expired");
    expect(effectiveStatus({ status: "active", expiresAt: later }, now)).toBe("active");
    expect(effectiveStatus({ status: "invoiced", expiresAt: earlier }, now)).toBe("invoiced");
  });

  it("may be disabled while active or failed, never once a submit is under way or done", () => {
    expect([...DISABLEABLE].sort()).toEqual(["active", "failed"]);
    expect(CODE_TRANSITIONS.invoiced).toEqual([]);
    expect(CODE_TRANSITIONS.disabled).toEqual(["refunded"]);
  });

  it("is closed by refunds only before it is invoiced, and stays closed", () => {
    expect(CODE_TRANSITIONS.active).toContain("refunded");
    expect(CODE_TRANSITIONS.issuing).not.toContain("refunded");
    expect(CODE_TRANSITIONS.invoiced).not.toContain("refunded");
    expect(CODE_TRANSITIONS.refunded).toEqual([]);
  });

  it("refuses a disabled or expired code with its own code and message", () => {
    const refusal = (status: string, expiresAt: Date) => {
      try {
        assertCodeUsable({ status, expiresAt }, now);
        return undefined;
      } catch (e) {
        return [(e as AppError).code, (e as AppError).message, (e as AppError).status];
      }
    };
    expect(refusal("disabled", later)).toEqual(["RECEIPT_CODE_DISABLED", "该开票码已停用，请联系商家", 410]);
    expect(refusal("active", earlier)).toEqual(["RECEIPT_CODE_EXPIRED", "该开票码已过期，请联系商家", 410]);
    expect(refusal("active", later)).toBeUndefined();
    expect(refusal("invoiced", earlier)).toBeUndefined();
  });

  it.each(Object.entries(CODE_MOVES))("moves %s only along an allowed transition", (_name, move) => {
    for (const from of move.from) expect(CODE_TRANSITIONS[from]).toContain(move.to);
    expect(codeMoveSetSql(_name as keyof typeof CODE_MOVES)).toBe(
      `status = '${move.to}', updated_at = now()`,
    );
  });
});
