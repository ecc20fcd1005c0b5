import { describe, expect, it } from "vitest";
import { validateSeller } from "./seller";

const codes = (input: Record<string, unknown>) => {
  const r = validateSeller({
    name: "深圳市示例科技有限公司",
    taxId: "91440300358768292H",
    ...input,
  } as never);
  return r.ok ? [] : r.issues.map((i) => `${i.code}@${i.path}`);
};

describe("validateSeller", () => {
  it("normalises a valid seller", () => {
    expect(
      validateSeller({ name: " 示例公司 ", taxId: "91440300 358768292h", phone: "0755-1234567" }),
    ).toEqual({
      ok: true,
      value: {
        name: "示例公司",
        taxId: "91440300358768292H",
        address: null,
        phone: "0755-1234567",
        bankName: null,
        bankAccount: null,
      },
    });
  });

  it("folds a full-width tax ID, phone and account", () => {
    const r = validateSeller({
      name: "示例公司",
      taxId: "９１４４０３００３５８７６８２９２ｈ",
      phone: "（０７５５）８６００１２３４",
      bankAccount: "７５５９１２３４５６１０８０１",
    });
    expect(r.ok && [r.value.taxId, r.value.phone, r.value.bankAccount]).toEqual([
      "91440300358768292H",
      "(0755)86001234",
      "755912345610801",
    ]);
  });

  it.each([
    [{ name: "" }, ["FIELD_REQUIRED@name"]],
    [{ taxId: "" }, ["FIELD_REQUIRED@taxId"]],
    [{ taxId: "91440300358768292A" }, ["TAX_ID_CHECK_FAILED@taxId"]],
    [{ taxId: "9144" }, ["TAX_ID_FORMAT_INVALID@taxId"]],
    [{ taxId: "AB0301123456789" }, ["TAX_ID_FORMAT_INVALID@taxId"]],
    [{ name: "名".repeat(51) }, ["TEXT_TOO_LONG@name"]],
    [{ address: "地".repeat(45), phone: "0755-1234567" }, ["TEXT_TOO_LONG@address"]],
    [{ bankName: "银".repeat(40), bankAccount: "123456789012345678901" }, ["TEXT_TOO_LONG@bankName"]],
  ])("%j → %j", (input, expected) => {
    expect(codes(input)).toEqual(expected);
  });
});
