import { describe, expect, it } from "vitest";
import { KingdeeSettingsError, maskKingdeeSettings, parseKingdeeSettings } from "./settings";

const good = {
  baseUrl: "https://baode.kdcloud.com/",
  appId: "app",
  appSecret: "secret-value",
  accountId: "2001",
  user: "13800000000",
  userType: "Mobile",
  businessSystemCode: "PIAOMA",
  encryption: "aes",
  aesPassword: "pw-123456",
};

function problem(raw: unknown): { key: string; problem: string } {
  try {
    parseKingdeeSettings(raw);
  } catch (e) {
    if (e instanceof KingdeeSettingsError) return { key: e.key, problem: e.problem };
    throw e;
  }
  throw new Error("accepted");
}

describe("kingdee settings", () => {
  it("accepts a complete account and trims the base URL's trailing slash", () => {
    expect(parseKingdeeSettings(good).baseUrl).toBe("https://baode.kdcloud.com");
    expect(parseKingdeeSettings({ ...good, encryption: "base64", aesPassword: undefined }).encryption).toBe(
      "base64",
    );
  });

  it.each([
    "baseUrl",
    "appId",
    "appSecret",
    "accountId",
    "user",
    "userType",
    "businessSystemCode",
    "encryption",
  ])("names a missing %s", (key) => {
    const raw: Record<string, unknown> = { ...good };
    delete raw[key];
    expect(problem(raw)).toEqual({ key, problem: "缺少此项" });
  });

  it("names a bad value, the AES password the aes mode needs, and an unknown key", () => {
    expect(problem({ ...good, baseUrl: "ftp://x" }).key).toBe("baseUrl");
    expect(problem({ ...good, baseUrl: "https://x/?a=1" }).key).toBe("baseUrl");
    expect(problem({ ...good, userType: "Email" })).toEqual({
      key: "userType",
      problem: "应为 UserName 或 Mobile",
    });
    expect(problem({ ...good, encryption: "des" })).toEqual({
      key: "encryption",
      problem: "应为 base64 或 aes",
    });
    expect(problem({ ...good, appSecret: "  " })).toEqual({ key: "appSecret", problem: "不能为空" });
    expect(problem({ ...good, aesPassword: undefined }).key).toBe("aesPassword");
    expect(problem({ ...good, appKey: "x" })).toEqual({ key: "appKey", problem: "不认识的设置项" });
    expect(problem(null).key).toBe("(settings)");
    expect(() => parseKingdeeSettings({ ...good, appId: 5 })).toThrow(/金蝶设置 appId/);
  });

  it("masks the secrets", () => {
    const masked = maskKingdeeSettings(parseKingdeeSettings(good));
    expect(masked.appSecret).toBe("se****ue");
    expect(masked.aesPassword).toBe("pw****56");
    expect(JSON.stringify(masked)).not.toContain("secret-value");
  });
});
