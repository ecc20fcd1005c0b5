import { describe, expect, it } from "vitest";
import { z } from "zod";
import "./zod-messages";

/** Every message zod makes itself is Chinese once the module is loaded; a schema's own still wins. */
describe("zod's messages in Chinese", () => {
  const form = z.object({
    name: z.string().min(1),
    count: z.number().int().max(10),
    role: z.enum(["admin", "viewer"]),
    email: z.email(),
    tags: z.array(z.string()).min(1),
    own: z.string().min(2, "至少两个字"),
  });

  it("says each problem in Chinese, at its field", () => {
    const result = form.safeParse({ count: 11.5, role: "root", email: "x", tags: [], own: "a" });
    expect(result.success).toBe(false);
    const byField = Object.fromEntries(result.error!.issues.map((i) => [i.path.join("."), i.message]));
    expect(byField).toEqual({
      name: "请填写此项",
      count: "应为整数",
      role: "不是可选的值之一",
      email: "邮箱地址格式不正确",
      tags: "请至少选择一项",
      own: "至少两个字",
    });
    for (const message of Object.values(byField)) expect(message).not.toMatch(/[A-Za-z]{3,}/);
  });

  it("answers a field left out with the schema's own sentence for an empty one (issue 20, item 2)", () => {
    const org = z.object({
      name: z.string().min(1, "请填写销售方名称").max(50, "名称过长"),
      password: z.string().min(8, "密码至少 8 位"),
      plain: z.string().max(5),
      generic: z.string().min(1),
    });
    const r = org.safeParse({});
    const byField = Object.fromEntries(r.error!.issues.map((i) => [i.path.join("."), i.message]));
    expect(byField).toEqual({
      name: "请填写销售方名称",
      password: "密码至少 8 位",
      plain: "请填写此项",
      generic: "请填写此项",
    });
    // A value of the wrong type is still said as such.
    expect(
      org.safeParse({ name: 3, password: "12345678", plain: "", generic: "x" }).error?.issues[0]?.message,
    ).toBe("应为文本");
  });

  it("says lengths and bounds with their numbers", () => {
    const r = z.object({ a: z.string().max(3), b: z.number().min(5) }).safeParse({ a: "abcd", b: 1 });
    expect(r.error?.issues.map((i) => i.message)).toEqual(["不能超过 3 个字符", "不能小于 5"]);
  });
});
