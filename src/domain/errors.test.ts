import { describe, expect, it } from "vitest";
import { ISSUE_CODES, issue, issuesToFields, lineLabel, linePath } from "./errors";

describe("issues", () => {
  it("builds paths and labels the way callers read them", () => {
    expect(linePath(2, "amount")).toBe("lines[2].amount");
    expect(linePath(2)).toBe("lines[2]");
    expect(lineLabel(2)).toBe("第3行");
  });

  it("maps issues to the details.fields of an error response", () => {
    expect(
      issuesToFields([
        issue("TAX_ID_CHECK_FAILED", "buyer.taxId", "纳税人识别号校验失败"),
        issue("FIELD_REQUIRED", "buyer.name", "购买方名称不能为空"),
        issue("TEXT_TOO_LONG", "buyer.name", "购买方名称过长"),
      ]),
    ).toEqual({ "buyer.taxId": "纳税人识别号校验失败", "buyer.name": "购买方名称不能为空；购买方名称过长" });
  });

  it("has stable UPPER_SNAKE codes, each once", () => {
    for (const code of ISSUE_CODES) expect(code).toMatch(/^[A-Z]+(_[A-Z0-9]+)*$/);
    expect(new Set(ISSUE_CODES).size).toBe(ISSUE_CODES.length);
  });
});
