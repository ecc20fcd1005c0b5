import { describe, expect, it } from "vitest";
import type { InvoiceType, Receipt } from "./api";
import {
  emptyForm,
  errorsFromServer,
  type FieldKey,
  type FormState,
  firstErrorField,
  hasMoreDetails,
  initialForm,
  invoiceTypesFor,
  isBuyerTypeOffered,
  isTaxIdNeeded,
  limitNotice,
  reconcile,
  TAX_ID_CONFIRM_QUESTION,
  taxIdToConfirm,
  toSubmitBody,
  validateForm,
  visibleErrors,
} from "./form";

const BOTH: InvoiceType[] = ["digital_normal", "digital_special"];
const receiptTypes = (
  invoiceTypes: InvoiceType[] = BOTH,
  defaultInvoiceType: InvoiceType = "digital_normal",
) => ({
  invoiceTypes,
  defaultInvoiceType,
});
const USCC = "91440300358768292H";

function form(over: Partial<FormState> = {}): FormState {
  return {
    ...emptyForm(receiptTypes()),
    name: "深圳市示例科技有限公司",
    taxId: USCC,
    email: "a@example.com",
    ...over,
  };
}

describe("choices offered", () => {
  it("hides 专票 from a person", () => {
    expect(invoiceTypesFor(BOTH, "individual")).toEqual(["digital_normal"]);
    expect(invoiceTypesFor(BOTH, "enterprise")).toEqual(BOTH);
    expect(invoiceTypesFor(BOTH, "non_enterprise")).toEqual(BOTH);
  });

  it("offers 个人 only when a normal invoice is allowed", () => {
    expect(isBuyerTypeOffered(["digital_special"], "individual")).toBe(false);
    expect(isBuyerTypeOffered(["digital_special"], "enterprise")).toBe(true);
    expect(isBuyerTypeOffered(BOTH, "individual")).toBe(true);
  });

  it("switches a person's 专票 back to 普票", () => {
    const next = reconcile(form({ buyerType: "individual", invoiceType: "digital_special" }), BOTH);
    expect(next.invoiceType).toBe("digital_normal");
  });

  it("moves away from 个人 when only 专票 is allowed", () => {
    const next = reconcile(form({ buyerType: "individual", invoiceType: "digital_special" }), [
      "digital_special",
    ]);
    expect(next).toMatchObject({ buyerType: "enterprise", invoiceType: "digital_special" });
  });

  it("keeps the same object when nothing needs to change", () => {
    const state = form();
    expect(reconcile(state, BOTH)).toBe(state);
  });
});

describe("initial form", () => {
  it("preselects the receipt's default type for an enterprise", () => {
    expect(emptyForm(receiptTypes(BOTH, "digital_special"))).toMatchObject({
      invoiceType: "digital_special",
      buyerType: "enterprise",
      name: "",
    });
  });

  it("prefills what the phone remembered, but not a choice the receipt does not allow", () => {
    const state = initialForm(receiptTypes(["digital_special"], "digital_special"), {
      buyerType: "individual",
      name: "张三",
      email: "z@example.com",
    });
    expect(state).toMatchObject({ buyerType: "enterprise", invoiceType: "digital_special", name: "张三" });
    expect(state.email).toBe("z@example.com");
  });

  it("keeps a remembered person with the default normal invoice", () => {
    const state = initialForm(receiptTypes(), {
      buyerType: "individual",
      name: "张三",
      mobile: "13800138000",
    });
    expect(state).toMatchObject({
      buyerType: "individual",
      invoiceType: "digital_normal",
      mobile: "13800138000",
    });
  });
});

describe("request body", () => {
  it("trims texts, normalises the tax ID, mobile and bank account", () => {
    const body = toSubmitBody(
      form({
        name: "  深圳市示例科技有限公司 ",
        taxId: " 9144 0300 3587 6829 2h ",
        address: " 深圳市南山区 ",
        bankAccount: "6222 0000 1111",
        email: " a@example.com ",
        mobile: "+86 138-0013-8000",
      }),
    );
    expect(body).toEqual({
      invoiceType: "digital_normal",
      buyer: {
        type: "enterprise",
        name: "深圳市示例科技有限公司",
        taxId: USCC,
        address: "深圳市南山区",
        phone: "",
        bankName: "",
        bankAccount: "622200001111",
      },
      email: "a@example.com",
      mobile: "13800138000",
    });
  });

  it("sends empty strings for what was left out", () => {
    const body = toSubmitBody(
      form({ buyerType: "individual", name: "张三", taxId: "", email: "", mobile: "13800138000" }),
    );
    expect(body.buyer.taxId).toBe("");
    expect(body.email).toBe("");
  });
});

describe("field rules (the same engine as the server)", () => {
  it("accepts a complete enterprise buyer", () => {
    expect(validateForm(form())).toEqual({});
  });

  it("requires a tax ID from an enterprise and checks it", () => {
    expect(validateForm(form({ taxId: "" })).taxId).toMatch(/请填写/);
    expect(validateForm(form({ taxId: "91440300358768292X" })).taxId).toMatch(/校验失败/);
    expect(validateForm(form({ taxId: "ABC" })).taxId).toMatch(/15、17、18或20位/);
  });

  it("knows when the tax ID is needed", () => {
    expect(isTaxIdNeeded({ buyerType: "enterprise", invoiceType: "digital_normal" })).toBe(true);
    expect(isTaxIdNeeded({ buyerType: "non_enterprise", invoiceType: "digital_normal" })).toBe(false);
    expect(isTaxIdNeeded({ buyerType: "non_enterprise", invoiceType: "digital_special" })).toBe(true);
    expect(isTaxIdNeeded({ buyerType: "individual", invoiceType: "digital_normal" })).toBe(false);
    expect(validateForm(form({ buyerType: "non_enterprise", taxId: "" }))).toEqual({});
    expect(
      validateForm(form({ buyerType: "non_enterprise", invoiceType: "digital_special", taxId: "" })).taxId,
    ).toBeTruthy();
  });

  it("checks a person's ID-card number when given", () => {
    const person = form({ buyerType: "individual", name: "张三", taxId: "" });
    expect(validateForm(person)).toEqual({});
    expect(validateForm({ ...person, taxId: "11010519491231002X" })).toEqual({});
    expect(validateForm({ ...person, taxId: "110105194912310021" }).taxId).toMatch(/身份证/);
  });

  it("needs a name, and at least one contact, reported on the contact group", () => {
    expect(validateForm(form({ name: "  " })).name).toBeTruthy();
    const errors = validateForm(form({ email: "", mobile: "" }));
    expect(errors.contact).toMatch(/至少填写/);
    expect(errors.email).toBeUndefined();
  });

  it("checks e-mail and mobile formats", () => {
    expect(validateForm(form({ email: "a@b" })).email).toBe("电子邮箱格式不正确");
    expect(validateForm(form({ email: "", mobile: "12345" })).mobile).toMatch(/11位/);
    expect(validateForm(form({ email: "", mobile: "138 0013 8000" }))).toEqual({});
  });

  it("limits address and phone together in GBK bytes", () => {
    expect(validateForm(form({ address: "深".repeat(45), phone: "0755-86000000" })).address).toMatch(/100/);
  });
});

describe("which errors show", () => {
  const all = { name: "a", taxId: "b", contact: "c" };

  it("shows only fields already left, and the contact group once both contacts were left", () => {
    expect(visibleErrors(all, new Set<FieldKey>(["name"]), false)).toEqual({ name: "a" });
    expect(visibleErrors(all, new Set<FieldKey>(["email"]), false)).toEqual({});
    expect(visibleErrors(all, new Set<FieldKey>(["email", "mobile"]), false)).toEqual({ contact: "c" });
  });

  it("shows everything after a submit, and finds the first in page order", () => {
    expect(visibleErrors(all, new Set(), true)).toEqual(all);
    expect(firstErrorField(all)).toBe("name");
    expect(firstErrorField({ mobile: "x", contact: "y" })).toBe("contact");
    expect(firstErrorField({})).toBeNull();
  });

  it("places server field errors, and unknown paths on the form", () => {
    expect(
      errorsFromServer({
        "buyer.taxId": "纳税人识别号校验失败",
        mobile: "手机号不对",
        "lines[0].amount": "?",
      }),
    ).toEqual({ taxId: "纳税人识别号校验失败", mobile: "手机号不对", form: "?" });
  });
});

describe("limit notice", () => {
  const receipt = (limit: Receipt["limit"], totalAmount: string) => ({
    limit,
    totals: { amountExcludingTax: "0", taxAmount: "0", totalAmount },
  });

  it("announces a split into several invoices", () => {
    expect(limitNotice(receipt({ amount: "500.00", policy: "split", invoiceCount: 3 }, "1204.50"))).toEqual({
      kind: "split",
      count: 3,
      limit: "500.00",
    });
  });

  it("explains a rejection above the limit, exactly at the cent", () => {
    expect(
      limitNotice(receipt({ amount: "1204.49", policy: "reject", invoiceCount: 1 }, "1204.50")),
    ).toMatchObject({
      kind: "reject",
    });
    expect(
      limitNotice(receipt({ amount: "1204.50", policy: "reject", invoiceCount: 1 }, "1204.50")),
    ).toBeNull();
    expect(limitNotice(receipt({ amount: "10000", policy: "split", invoiceCount: 1 }, "1204.50"))).toBeNull();
  });
});

it("opens 更多 by itself when it holds something", () => {
  expect(hasMoreDetails(form())).toBe(false);
  expect(hasMoreDetails(form({ bankName: "示范银行" }))).toBe(true);
});

describe("a tax ID that is not 18 characters is confirmed before it is sent (DOMAIN.md §6)", () => {
  it("asks in the words of the page", () => {
    expect(TAX_ID_CONFIRM_QUESTION).toBe("这不是 18 位统一社会信用代码，确认无误吗？");
  });

  it.each([
    // A 统一社会信用代码 with its last character lost: a valid 17-character legacy format, but asked.
    [USCC.slice(0, 17), USCC.slice(0, 17)],
    ["440301123456789", "440301123456789"],
    ["44030119800101001X01", "44030119800101001X01"],
    // As it will be sent: full width folded, spaces removed, uppercase.
    ["４４０３ ０１１２ ３４５６ ７８９", "440301123456789"],
  ])("asks about %j (sent as %j)", (taxId, sent) => {
    expect(taxIdToConfirm({ taxId })).toBe(sent);
    expect(validateForm(form({ taxId }))).toEqual({});
  });

  it.each([USCC, "９１４４０３００３５８７６８２９２ｈ", "", "  ", "11010519491231002X"])(
    "takes %j without asking",
    (taxId) => {
      expect(taxIdToConfirm({ taxId })).toBeNull();
    },
  );

  it("sends a full-width tax ID, e-mail and mobile folded", () => {
    const body = toSubmitBody(
      form({
        taxId: "９１４４０３００３５８７６８２９２Ｈ",
        email: "a＠example.com",
        mobile: "１３８００１３８０００",
      }),
    );
    expect([body.buyer.taxId, body.email, body.mobile]).toEqual([USCC, "a@example.com", "13800138000"]);
    expect(validateForm(form({ email: "a＠example.com", mobile: "１３８００１３８０００" }))).toEqual({});
  });
});

describe("the organization's and the merchant's defaults (issue 17)", () => {
  it("starts with the buyer type the organization chose", () => {
    expect(emptyForm({ ...receiptTypes(), defaultBuyerType: "individual" }).buyerType).toBe("individual");
    expect(emptyForm({ ...receiptTypes(), defaultBuyerType: "enterprise" }).buyerType).toBe("enterprise");
    // 个人 cannot take the only type offered: the form moves on to 企业.
    expect(
      emptyForm({ ...receiptTypes(["digital_special"], "digital_special"), defaultBuyerType: "individual" })
        .buyerType,
    ).toBe("enterprise");
  });

  it("fills e-mail and mobile from the pushed order's notify, over what the phone remembered", () => {
    const prefill = { email: "guest@example.com", mobile: "13900139000" };
    expect(initialForm({ ...receiptTypes(), prefill }, null)).toMatchObject(prefill);
    const state = initialForm({ ...receiptTypes(), prefill }, { name: "张三", email: "old@example.com" });
    expect(state).toMatchObject({ name: "张三", ...prefill });
    expect(initialForm({ ...receiptTypes(), prefill: null }, { email: "old@example.com" }).email).toBe(
      "old@example.com",
    );
  });
});
