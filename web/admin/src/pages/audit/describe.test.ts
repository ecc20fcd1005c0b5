import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AUDIT_ACTIONS } from "../../labels";
import { describeAudit, FIELD_LABELS } from "./describe";

const root = path.resolve(import.meta.dirname, "../../../../..");

/** Every recordAudit / recordAudits call in the server's modules, as source text. */
function auditCalls(): string[] {
  const calls: string[] = [];
  const dir = path.join(root, "src/modules");
  for (const entry of fs.readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    if (!entry.endsWith(".ts") || entry.endsWith(".test.ts")) continue;
    const text = fs.readFileSync(path.join(dir, entry), "utf8");
    for (const m of text.matchAll(/recordAudits?\(/g)) {
      const rest = text.slice(m.index, m.index + 1500);
      const end = rest.indexOf("});");
      calls.push(end > 0 ? rest.slice(0, end) : rest);
    }
  }
  return calls;
}

describe("操作日志 in words (issue 20, item 2)", () => {
  const calls = auditCalls();

  it("finds the audit calls it checks", () => {
    expect(calls.length).toBeGreaterThan(40);
  });

  it("names every action the server records", () => {
    const actions = new Set<string>();
    for (const call of calls)
      for (const m of call.matchAll(/action:\s*([^\n]+)/g))
        for (const a of m[1]!.matchAll(/"([a-z_]+(?:\.[a-z_]+)+)"/g)) actions.add(a[1]!);
    expect(actions.size).toBeGreaterThan(30);
    expect([...actions].filter((a) => !(a in AUDIT_ACTIONS))).toEqual([]);
  });

  it("has a Chinese name for every key a details literal carries (ids and timestamps left out)", () => {
    const keys = new Set<string>();
    for (const call of calls) {
      const details = /details:\s*\{([^}]*)\}/.exec(call)?.[1];
      if (!details) continue;
      for (const m of details.matchAll(/(?:^|[{,])\s*([A-Za-z]\w*)\s*(?=[:,]|$)/g)) keys.add(m[1]!);
    }
    const shown = [...keys].filter(
      (k) => k !== "id" && !k.endsWith("Id") && !k.endsWith("Ids") && !k.endsWith("At"),
    );
    expect(shown.length).toBeGreaterThan(20);
    // Objects are not shown as such (`changes` key by key; `settings`, `buyer` and what they hold not
    // at all), and from/to are read as one 状态：原 → 新.
    const notShownAlone = new Set(["settings", "changes", "buyer", "type", "from", "to"]);
    expect(shown.filter((k) => !(k in FIELD_LABELS) && !notShownAlone.has(k))).toEqual([]);
  });

  it("reads a consumer's submit, a review rule and a decided 重开 without a raw key", () => {
    const parts = [
      ...describeAudit({ invoiceType: "digital_normal", invoiceCount: 1, heldForReview: true }),
      ...describeAudit({
        id: "rr_1",
        source: "scan",
        invoiceType: "digital_special",
        minAmount: "1000.00",
        buyerType: "enterprise",
        createdAt: "2026-12-04T08:00:00.000Z",
      }),
      ...describeAudit({ correctionId: "cr_1", decidedBy: "auto", refusalReason: null }),
      ...describeAudit({ correctionId: "cr_2", decidedBy: "usr_01abc", refusalReason: "已过期" }),
    ];
    expect(parts).toContain("发票种类：电子发票（普通发票）");
    expect(parts).toContain("待审核：是");
    expect(parts).toContain("金额不低于：1000.00");
    expect(parts).toContain("处理方式：按规则自动同意");
    expect(parts).toContain("处理方式：操作员处理");
    for (const part of parts) expect(part.split("：")[0]).not.toMatch(/^[A-Za-z]+$/);
    expect(parts.join(" ")).not.toContain("2026-12-04T");
  });
});
