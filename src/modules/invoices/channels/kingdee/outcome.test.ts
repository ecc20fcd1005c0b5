import { describe, expect, it } from "vitest";
import { ChannelUnavailableError } from "../channel";
import { toIssueOutcome } from "./outcome";

describe("kingdee result in today's IssueOutcome", () => {
  it("keeps final results and makes everything else a retry later", () => {
    const issuedAt = new Date("2026-03-02T02:00:03Z");
    expect(toIssueOutcome({ status: "issued", number: "26447000000000000001", issuedAt, files: {} })).toEqual(
      {
        status: "issued",
        number: "26447000000000000001",
        issuedAt,
      },
    );
    expect(
      toIssueOutcome({ status: "refused", channelCode: "10100", channelMessage: "m", consumerMessage: "c" }),
    ).toEqual({
      status: "rejected",
      code: "10100",
      message: "m",
    });
    expect(toIssueOutcome({ status: "confirmation_pending", confirmStatus: "02" })).toEqual({
      status: "confirmation_pending",
    });
    expect(() => toIssueOutcome({ status: "pending" })).toThrow(ChannelUnavailableError);
    expect(() => toIssueOutcome({ status: "transient", reason: "金蝶答复 HTTP 502" })).toThrow(
      "金蝶答复 HTTP 502",
    );
    expect(() =>
      toIssueOutcome({
        status: "account_problem",
        problem: "logged_out",
        channelCode: "20001",
        channelMessage: "m",
        operatorMessage: "请重新登录",
      }),
    ).toThrow("请重新登录");
  });
});
