import { describe, expect, it } from "vitest";
import { applyTitle, emptyForm } from "./form";
import {
  forgetBuyer,
  forgetTitles,
  loadSaved,
  loadTitles,
  MAX_TITLES,
  parseSaved,
  parseTitles,
  STORAGE_KEY,
  saveBuyer,
  saveTitle,
  titleOf,
  toSaved,
  withTitle,
} from "./storage";

function memoryStore() {
  const map = new Map<string, string>();
  return {
    map,
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
    removeItem: (k: string) => void map.delete(k),
  };
}

const state = {
  ...emptyForm({ invoiceTypes: ["digital_normal"], defaultInvoiceType: "digital_normal" }),
  name: " 深圳市示例科技有限公司 ",
  taxId: "91440300358768292H",
  email: "a@example.com",
};

describe("remembered buyer", () => {
  it("keeps buyer and contacts, trimmed, without empty fields or the invoice type", () => {
    expect(toSaved(state)).toEqual({
      buyerType: "enterprise",
      name: "深圳市示例科技有限公司",
      taxId: "91440300358768292H",
      email: "a@example.com",
    });
  });

  it("round-trips through storage and can be forgotten", () => {
    const store = memoryStore();
    saveBuyer(state, store);
    expect(JSON.parse(store.map.get(STORAGE_KEY) ?? "{}").name).toBe("深圳市示例科技有限公司");
    expect(loadSaved(store)).toEqual(toSaved(state));
    forgetBuyer(store);
    expect(loadSaved(store)).toBeNull();
  });

  it("reads old, broken or tampered values defensively", () => {
    expect(parseSaved(null)).toBeNull();
    expect(parseSaved("{not json")).toBeNull();
    expect(parseSaved("42")).toBeNull();
    expect(parseSaved(JSON.stringify({ buyerType: "alien", name: 7, email: "a@example.com" }))).toEqual({
      email: "a@example.com",
    });
    expect(parseSaved(JSON.stringify({ name: "x".repeat(301) }))).toBeNull();
  });

  it("never throws when storage is missing or refuses", () => {
    const angry = {
      getItem: () => {
        throw new Error("denied");
      },
      setItem: () => {
        throw new Error("quota");
      },
      removeItem: () => {
        throw new Error("denied");
      },
    };
    expect(loadSaved(angry)).toBeNull();
    expect(() => saveBuyer(state, angry)).not.toThrow();
    expect(() => forgetBuyer(angry)).not.toThrow();
    expect(loadSaved(null)).toBeNull();
  });
});

describe("titles remembered on the phone (issue 17)", () => {
  const company = {
    ...emptyForm({
      invoiceTypes: ["digital_normal", "digital_special"],
      defaultInvoiceType: "digital_normal",
    }),
    invoiceType: "digital_special" as const,
    name: " 杭州示例网络科技有限公司 ",
    taxId: "91330100MA2B3C4D5E",
  };
  const person = {
    ...company,
    buyerType: "individual" as const,
    invoiceType: "digital_normal" as const,
    name: "张三",
    taxId: "",
  };

  it("keeps several, most recent first, each with its invoice type, without duplicates, at most five", () => {
    const one = titleOf(company)!;
    expect(one).toMatchObject({
      name: "杭州示例网络科技有限公司",
      invoiceType: "digital_special",
      buyerType: "enterprise",
    });
    let list = withTitle([], one);
    list = withTitle(list, titleOf(person)!);
    list = withTitle(list, one);
    expect(list.map((t) => t.name)).toEqual(["杭州示例网络科技有限公司", "张三"]);
    for (let i = 0; i < 10; i++) list = withTitle(list, titleOf({ ...person, name: `名${i}` })!);
    expect(list).toHaveLength(MAX_TITLES);
    expect(titleOf({ ...person, name: "  " })).toBeNull();
  });

  it("stores and reads them back, drops malformed entries, and falls back to the older single record", () => {
    const storage = memoryStore();
    saveTitle(company, storage);
    saveTitle(person, storage);
    expect(loadTitles(storage).map((t) => [t.name, t.invoiceType])).toEqual([
      ["张三", "digital_normal"],
      ["杭州示例网络科技有限公司", "digital_special"],
    ]);
    expect(
      parseTitles(
        '[{"buyerType":"robot","name":"x"},{"buyerType":"individual","name":""},3,{"buyerType":"individual","name":"李四","invoiceType":"bogus"}]',
      ),
    ).toEqual([
      {
        buyerType: "individual",
        name: "李四",
        taxId: "",
        address: "",
        phone: "",
        bankName: "",
        bankAccount: "",
      },
    ]);
    expect(parseTitles("not json")).toEqual([]);
    forgetTitles((t) => t.name !== "张三", storage);
    expect(loadTitles(storage).map((t) => t.name)).toEqual(["杭州示例网络科技有限公司"]);

    const old = memoryStore();
    old.setItem(STORAGE_KEY, JSON.stringify({ buyerType: "enterprise", name: "旧抬头", taxId: "X" }));
    expect(loadTitles(old)).toMatchObject([{ name: "旧抬头", taxId: "X", buyerType: "enterprise" }]);
  });

  it("a picked title brings its invoice type when the receipt allows it", () => {
    const base = emptyForm({
      invoiceTypes: ["digital_normal", "digital_special"],
      defaultInvoiceType: "digital_normal",
    });
    const special = titleOf(company)!;
    expect(applyTitle(base, special, ["digital_normal", "digital_special"])).toMatchObject({
      invoiceType: "digital_special",
      buyerType: "enterprise",
      taxId: "91330100MA2B3C4D5E",
    });
    // Not allowed here: the receipt's type stands.
    expect(applyTitle(base, special, ["digital_normal"]).invoiceType).toBe("digital_normal");
    // Contacts are the form's, not the title's.
    expect(applyTitle({ ...base, email: "me@example.com" }, special, ["digital_normal"]).email).toBe(
      "me@example.com",
    );
  });
});
