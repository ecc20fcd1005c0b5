import { describe, expect, it } from "vitest";
import { emptyForm } from "./form";
import { forgetBuyer, loadSaved, parseSaved, STORAGE_KEY, saveBuyer, toSaved } from "./storage";

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
