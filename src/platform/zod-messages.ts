import { z } from "zod";

/**
 * zod's own messages in Chinese, for every schema that does not say its own (issue 20: the console
 * showed "Invalid input: expected string, received undefined" under an empty required field). Short,
 * because they are shown under the field they concern; a schema's own message always wins. Installed
 * once, process-wide, by importing this module (src/platform/http.ts and validation.ts do).
 */
const TYPE_NAMES: Record<string, string> = {
  string: "文本",
  number: "数字",
  int: "整数",
  boolean: "是或否",
  array: "列表",
  object: "对象",
  date: "日期",
};

const UNITS: Record<string, string> = { string: "个字符", array: "项", set: "项", file: "字节" };

/**
 * A field left out says what its schema says for an empty one: `oneLine().min(1, "请填写销售方名称")`
 * answers an absent name with that sentence too, not only an empty string (a console form sends no
 * key for a field never typed into). The message of the schema's first `min(n ≥ 1)` length check, if
 * it has one of its own.
 */
function ownEmptyMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const checks = (issue.inst as { _zod?: { def?: { checks?: unknown[] } } } | undefined)?._zod?.def?.checks;
  for (const check of checks ?? []) {
    const def = (check as { _zod?: { def?: { check?: string; minimum?: number; error?: unknown } } })._zod
      ?.def;
    if (def?.check !== "min_length" || !(Number(def.minimum) >= 1) || typeof def.error !== "function")
      continue;
    try {
      const own = def.error(issue);
      if (typeof own === "string" && own !== "") return own;
      if (own && typeof own === "object" && typeof (own as { message?: unknown }).message === "string")
        return (own as { message: string }).message;
    } catch {
      // A message made from the issue it was written for: the generic one says it instead.
    }
    return undefined;
  }
  return undefined;
}

export function chineseZodMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined || issue.input === null) return ownEmptyMessage(issue) ?? "请填写此项";
      return `应为${TYPE_NAMES[issue.expected] ?? "正确的格式"}`;
    case "too_small": {
      const min = Number(issue.minimum);
      if (issue.origin === "string" && min <= 1) return "请填写此项";
      if (issue.origin === "array" && min <= 1) return "请至少选择一项";
      const unit = UNITS[issue.origin];
      if (unit) return `至少 ${issue.minimum} ${unit}`;
      return issue.inclusive ? `不能小于 ${issue.minimum}` : `必须大于 ${issue.minimum}`;
    }
    case "too_big": {
      const unit = UNITS[issue.origin];
      if (unit) return `不能超过 ${issue.maximum} ${unit}`;
      return issue.inclusive ? `不能大于 ${issue.maximum}` : `必须小于 ${issue.maximum}`;
    }
    case "invalid_format":
      if (issue.format === "email") return "邮箱地址格式不正确";
      if (issue.format === "url") return "网址格式不正确";
      if (issue.format === "datetime" || issue.format === "date") return "日期格式不正确";
      return "格式不正确";
    case "invalid_value":
      return "不是可选的值之一";
    case "not_multiple_of":
      return `应为 ${issue.divisor} 的整数倍`;
    case "unrecognized_keys":
      return `不认识的字段：${issue.keys.join("、")}`;
    case "invalid_union":
      return "格式不正确";
    case "invalid_key":
    case "invalid_element":
      return "含有格式不正确的项";
    default:
      return "内容不正确";
  }
}

z.config({ customError: chineseZodMessage });
