import { describe, expect, it } from "vitest";
import { searchTitles, type TitleProvider } from "./title-provider";

const fixed = (id: string, names: string[]): TitleProvider => ({
  id,
  search: async () => names.map((name) => ({ name, taxId: `T-${name}`, type: "enterprise" })),
});

describe("searchTitles", () => {
  it("merges providers in order, drops duplicates, stops at the limit", async () => {
    const titles = await searchTitles(
      [fixed("registry", ["甲公司", "乙公司"]), fixed("external", ["乙公司", "丙公司", "丁公司"])],
      "公司",
      3,
    );
    expect(titles.map((t) => t.name)).toEqual(["甲公司", "乙公司", "丙公司"]);
  });

  it("keeps the other providers' answers when one fails, and reports the failure", async () => {
    const failing: TitleProvider = {
      id: "external",
      search: async () => Promise.reject(new Error("timeout")),
    };
    const failures: string[] = [];
    const titles = await searchTitles([failing, fixed("registry", ["甲公司"])], "甲", 10, (id) =>
      failures.push(id),
    );
    expect(titles.map((t) => t.name)).toEqual(["甲公司"]);
    expect(failures).toEqual(["external"]);
  });
});
