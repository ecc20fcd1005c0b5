import { describe, expect, it } from "vitest";
import {
  type BuyerSubmission,
  isNaturalPerson,
  isValidEmail,
  isValidMobile,
  normalizeEmail,
  normalizeMobile,
  validateBuyer,
} from "./buyer";

function submission(
  overrides: { buyer?: Record<string, unknown>; [k: string]: unknown } = {},
): BuyerSubmission {
  const { buyer, ...rest } = overrides;
  return {
    invoiceType: "digital_normal",
    email: "a@example.com",
    ...rest,
    buyer: { type: "enterprise", name: "深圳市示例科技有限公司", taxId: "91440300358768292H", ...buyer },
  } as BuyerSubmission;
}

function codes(s: BuyerSubmission): string[] {
  const r = validateBuyer(s);
  return r.ok ? [] : r.issues.map((i) => `${i.code}@${i.path}`);
}

describe("buyer type × invoice type (DOMAIN.md §6)", () => {
  it.each([
    // type, invoice type, tax ID given, expected issues
    ["individual", "digital_normal", undefined, []],
    ["individual", "digital_special", undefined, ["INVOICE_TYPE_NOT_ALLOWED@invoiceType"]],
    ["enterprise", "digital_normal", "91440300358768292H", []],
    ["enterprise", "digital_special", "91440300358768292H", []],
    ["enterprise", "digital_normal", undefined, ["FIELD_REQUIRED@buyer.taxId"]],
    ["enterprise", "digital_special", "", ["FIELD_REQUIRED@buyer.taxId"]],
    ["non_enterprise", "digital_normal", undefined, []],
    ["non_enterprise", "digital_special", undefined, ["FIELD_REQUIRED@buyer.taxId"]],
    ["non_enterprise", "digital_special", "12100000400000624D", []],
  ] as const)("%s + %s with tax ID %j → %j", (type, invoiceType, taxId, expected) => {
    expect(codes(submission({ invoiceType, buyer: { type, name: "个人", taxId } }))).toEqual(expected);
  });

  it("refuses unknown invoice and buyer types", () => {
    expect(codes(submission({ invoiceType: "paper", buyer: { type: "person" } }))).toEqual([
      "INVOICE_TYPE_INVALID@invoiceType",
      "BUYER_TYPE_INVALID@buyer.type",
    ]);
  });
});

describe("normalised buyer", () => {
  it("uppercases and strips the tax ID, trims texts, nulls absent ones", () => {
    const r = validateBuyer(
      submission({
        mobile: "+86 138-0013-8000",
        email: " a@example.com ",
        buyer: {
          name: " 深圳市示例科技有限公司 ",
          taxId: " 9144 0300 3587 6829 2h",
          address: "深圳市南山区",
          phone: "",
        },
      }),
    );
    expect(r).toEqual({
      ok: true,
      value: {
        invoiceType: "digital_normal",
        buyer: {
          type: "enterprise",
          name: "深圳市示例科技有限公司",
          taxId: "91440300358768292H",
          address: "深圳市南山区",
          phone: null,
          bankName: null,
          bankAccount: null,
        },
        email: "a@example.com",
        mobile: "13800138000",
      },
    });
  });
});

describe("tax ID checks", () => {
  it.each([
    ["91440300358768292A", "TAX_ID_CHECK_FAILED"],
    ["9144030035876829", "TAX_ID_FORMAT_INVALID"],
    ["91440300-358768292H", "TAX_ID_FORMAT_INVALID"],
  ])("enterprise %s → %s", (taxId, code) => {
    expect(codes(submission({ buyer: { taxId } }))).toEqual([`${code}@buyer.taxId`]);
  });

  it("accepts 15, 17 and 20 characters on format only", () => {
    for (const taxId of ["440301123456789", "44030112345678901", "44030119800101001X01"]) {
      expect(codes(submission({ buyer: { taxId } }))).toEqual([]);
    }
  });

  it("validates an individual's ID-card number", () => {
    const person = (taxId: string) => submission({ buyer: { type: "individual", name: "张三", taxId } });
    expect(codes(person("11010519491231002x"))).toEqual([]);
    expect(validateBuyer(person("11010519491231002x")).ok && "ok").toBe("ok");
    expect(codes(person("110105194912310021"))).toEqual(["ID_CARD_INVALID@buyer.taxId"]);
    // A 个体工商户 that picked 个人 may still give its 统一社会信用代码.
    expect(codes(person("91440300358768292H"))).toEqual([]);
  });
});

describe("lengths in GBK bytes", () => {
  it("limits the name to 100 bytes", () => {
    expect(codes(submission({ buyer: { name: "名".repeat(50) } }))).toEqual([]);
    expect(codes(submission({ buyer: { name: `${"名".repeat(50)}x` } }))).toEqual([
      "TEXT_TOO_LONG@buyer.name",
    ]);
  });

  it("limits address + phone and bank + account to 100 bytes each", () => {
    const ok = {
      address: "地".repeat(44),
      phone: "0755-1234567",
      bankName: "银".repeat(40),
      bankAccount: "12345678901234567890",
    };
    expect(codes(submission({ buyer: ok }))).toEqual([]);
    expect(
      codes(submission({ buyer: { ...ok, address: `${ok.address}x`, bankAccount: `${ok.bankAccount}1` } })),
    ).toEqual(["TEXT_TOO_LONG@buyer.address", "TEXT_TOO_LONG@buyer.bankName"]);
  });

  it("requires a name", () => {
    expect(codes(submission({ buyer: { name: "  " } }))).toEqual(["FIELD_REQUIRED@buyer.name"]);
  });
});

describe("delivery contacts", () => {
  it("needs at least one of e-mail and mobile", () => {
    expect(codes(submission({ email: undefined, mobile: "13800138000" }))).toEqual([]);
    expect(codes(submission({ email: "", mobile: "" }))).toEqual(["CONTACT_REQUIRED@email"]);
  });

  it("reports a bad e-mail and a bad mobile together", () => {
    expect(codes(submission({ email: "a@b", mobile: "12800138000" }))).toEqual([
      "EMAIL_INVALID@email",
      "MOBILE_INVALID@mobile",
    ]);
  });

  it.each([
    ["a@example.com", true],
    ["first.last+tag@mail.example.com.cn", true],
    ["12345@qq.com", true],
    ["a_b-c@sub-domain.example.org", true],
    ["a@b", false],
    ["a@b.c", false],
    ["@example.com", false],
    ["a@@example.com", false],
    ["a..b@example.com", false],
    [".a@example.com", false],
    ["a@-example.com", false],
    ["a@example..com", false],
    ["a b@example.com", false],
    ["张三@example.com", false],
    [`${"a".repeat(65)}@example.com`, false],
  ])("e-mail %j → %s", (email, valid) => {
    expect(isValidEmail(email)).toBe(valid);
  });

  it.each([
    ["13800138000", true],
    ["19912345678", true],
    ["12800138000", false],
    ["1380013800", false],
    ["138001380001", false],
    ["23800138000", false],
  ])("mobile %s → %s", (mobile, valid) => {
    expect(isValidMobile(mobile)).toBe(valid);
  });

  it.each([
    ["+86 138 0013 8000", "13800138000"],
    ["0086-138-0013-8000", "13800138000"],
    ["8613800138000", "13800138000"],
    ["138 0013 8000", "13800138000"],
    ["86123", "86123"],
  ])("normalises mobile %j → %j", (input, expected) => {
    expect(normalizeMobile(input)).toBe(expected);
  });
});

describe("the text gate on every buyer field", () => {
  it.each([
    ["name", "深圳\u0000示例"],
    ["name", "深圳\u202e示例"],
    ["address", "深圳\n南山"],
    ["phone", "0755\u0085123"],
    ["bankName", "中国\ud800银行"],
    ["bankAccount", "1234\uffff"],
    // Removing white space from a tax ID must not hide a line break in it.
    ["taxId", "91440300\n358768292H"],
    ["taxId", "91440300\u2028358768292H"],
  ])("refuses buyer.%s %j", (field, value) => {
    expect(codes(submission({ buyer: { [field]: value } }))).toEqual([
      `TEXT_INVALID_CHARACTER@buyer.${field}`,
    ]);
  });

  it("refuses contacts with bad characters, each at its field", () => {
    expect(codes(submission({ email: "a@example.com\u2028", mobile: "138\u20280013\u00008000" }))).toEqual([
      "TEXT_INVALID_CHARACTER@email",
      "TEXT_INVALID_CHARACTER@mobile",
    ]);
  });

  it("NFC-normalises the name and folds a full-width tax ID", () => {
    const r = validateBuyer(
      submission({ buyer: { name: "Cafe\u0301 示例", taxId: "９１４４０３００３５８７６８２９２Ｈ" } }),
    );
    expect(r.ok && [r.value.buyer.name, r.value.buyer.taxId]).toEqual(["Café 示例", "91440300358768292H"]);
  });

  it("folds every identifier typed in full width: tax ID, ＠ and letters in the e-mail, mobile, phone and account digits", () => {
    const r = validateBuyer(
      submission({
        buyer: {
          taxId: "９１４４ ０３００ ３５８７ ６８２９ ２Ｈ",
          phone: "０７５５－８６００１２３４",
          bankAccount: "７５５９１２３４５６１０８０１",
        },
        email: "ｚｈａｎｇ．ｓａｎ＠ｅｘａｍｐｌｅ．ｃｏｍ",
        mobile: "＋８６ １３８－００１３－８０００",
      }),
    );
    expect(
      r.ok && [
        r.value.buyer.taxId,
        r.value.buyer.phone,
        r.value.buyer.bankAccount,
        r.value.email,
        r.value.mobile,
      ],
    ).toEqual([
      "91440300358768292H",
      "0755-86001234",
      "755912345610801",
      "zhang.san@example.com",
      "13800138000",
    ]);
  });
});

describe("identifier folding", () => {
  it.each([
    ["a＠example.com", "a@example.com"],
    [" Ａ＠ＥＸＡＭＰＬＥ．ＣＯＭ ", "A@EXAMPLE.COM"],
    ["a@example.com", "a@example.com"],
  ])("normalizeEmail(%j) = %j", (typed, email) => {
    expect(normalizeEmail(typed)).toBe(email);
    expect(isValidEmail(normalizeEmail(typed))).toBe(true);
  });

  it("folds full-width mobile digits before the format check", () => {
    expect(normalizeMobile("１３８００１３８０００")).toBe("13800138000");
    expect(normalizeMobile("００８６ １３８００１３８０００")).toBe("13800138000");
    expect(isValidMobile(normalizeMobile("１３８００１３８０００"))).toBe(true);
  });
});

describe("natural person (自然人, DOMAIN.md §6)", () => {
  it.each([
    ["individual", "", true],
    ["individual", null, true],
    ["individual", "11010519491231002x", true],
    ["individual", "１１０１０５１９４９１２３１００２Ｘ", true],
    // A 个体工商户 that picked 个人 with its 统一社会信用代码 is not a natural person.
    ["individual", "91440300358768292H", false],
    ["enterprise", "", false],
    ["non_enterprise", "", false],
    ["enterprise", "91440300358768292H", false],
  ] as const)("%s with tax ID %j → %s", (type, taxId, expected) => {
    expect(isNaturalPerson(type, taxId)).toBe(expected);
  });
});
