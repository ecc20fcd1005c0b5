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

export function chineseZodMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined || issue.input === null) return "请填写此项";
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
