import { describe, expect, it } from "vitest";
import { ApiError } from "./api";
import { inAppBrowserName, pageForError, pageForStatus, resendErrorText, submitErrorText } from "./messages";

const error = (code: string, status: number, details: Record<string, unknown> = {}, message = "服务端消息") =>
  new ApiError(code, status, message, details);

describe("error pages", () => {
  it("gives each receipt-code problem its own page that says what to do", () => {
    const unknown = pageForError(error("RECEIPT_CODE_NOT_FOUND", 404));
    expect(unknown).toMatchObject({ kind: "not-found", title: "未找到该开票码", canRetry: false });
    expect(unknown.body.join("")).toContain("联系商家");

    const expired = pageForError(error("RECEIPT_CODE_EXPIRED", 410, { expiresAt: "2026-10-01T04:00:00Z" }));
    expect(expired).toMatchObject({ kind: "expired", title: "开票码已过期", canRetry: false });
    expect(expired.body.join("")).toContain("2026-10-01 12:00");
    expect(expired.body.join("")).toContain("联系商家");

    const disabled = pageForError(error("RECEIPT_CODE_DISABLED", 410));
    expect(disabled).toMatchObject({ kind: "disabled", title: "开票码已停用", canRetry: false });
    expect(disabled.body.join("")).toContain("联系商家");
  });

  it("offers a retry when the network or the server failed", () => {
    expect(pageForError(error("NETWORK", 0))).toMatchObject({ kind: "network", canRetry: true });
    const server = pageForError(error("INTERNAL", 500));
    expect(server).toMatchObject({ kind: "server", canRetry: true });
    expect(server.body.join("")).not.toContain("服务端消息");
  });

  it("maps a loaded receipt's expired or disabled status to the same pages", () => {
    expect(pageForStatus("expired")?.kind).toBe("expired");
    expect(pageForStatus("disabled")?.kind).toBe("disabled");
    expect(pageForStatus("active")).toBeNull();
    expect(pageForStatus("invoiced")).toBeNull();
  });
});

describe("submit and resend messages", () => {
  it("keeps the consumer's work on a network failure and names the limit", () => {
    expect(submitErrorText(error("NETWORK", 0))).toContain("已保留");
    expect(submitErrorText(error("AMOUNT_OVER_LIMIT", 422, { limit: "10000.00" }))).toContain("¥10,000.00");
    expect(submitErrorText(error("INTERNAL", 500))).toContain("稍后重试");
  });

  it("says which resend limit was reached and when sending works again", () => {
    expect(
      resendErrorText(
        error("RATE_LIMITED", 429, { retryAfterSeconds: 1450 }, "每个开票码每小时最多重发 5 次，请稍后再试"),
      ),
    ).toBe("每个开票码每小时最多重发 5 次，请稍后再试（约 25 分钟后可再发送）。");
    expect(
      resendErrorText(
        error(
          "RATE_LIMITED",
          429,
          { retryAfterSeconds: 80_000 },
          "该邮箱近 24 小时收到的重发已达上限，请稍后再试",
        ),
      ),
    ).toBe("该邮箱近 24 小时收到的重发已达上限，请稍后再试（约 23 小时后可再发送）。");
    expect(
      resendErrorText(error("RATE_LIMITED", 429, { retryAfterSeconds: 9 }, "发送过于频繁，请稍后再试")),
    ).toBe("发送过于频繁，请稍后再试（约 9 秒后可再发送）。");
    expect(resendErrorText(error("RATE_LIMITED", 429, {}, ""))).toBe("发送次数已达上限，请稍后再试。");
    expect(resendErrorText(error("NETWORK", 0))).toContain("网络");
    expect(resendErrorText(error("VALIDATION_FAILED", 422, {}, "邮箱格式不正确"))).toBe("邮箱格式不正确");
  });
});

it("recognises WeChat's and Alipay's in-app browsers", () => {
  expect(inAppBrowserName("Mozilla/5.0 (iPhone) AppleWebKit MicroMessenger/8.0.40")).toBe("微信");
  expect(inAppBrowserName("Mozilla/5.0 (Linux; Android 13) AlipayClient/10.5")).toBe("支付宝");
  expect(inAppBrowserName("Mozilla/5.0 (iPhone) Safari/604.1")).toBeNull();
});
