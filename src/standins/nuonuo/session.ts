import Decimal from "decimal.js";
import { chinaTimeText, type StandinClock } from "../clock";
import { type Answer, err, GUESSED, type NuonuoScenario, ok } from "./model";

/** What the session calls read of the stand-in's state. */
interface SessionState {
  clock: StandinClock;
  session: () => NuonuoScenario["session"];
  creditUsed: () => Decimal;
  baseUrl: () => string;
}

/**
 * The 数电 session, 实人认证 and credit-line calls of the 诺诺 stand-in (CHANNELS.md §1.9), with the
 * real service's refresh limits (at most 20 a day per kind, and a pause between two).
 */
export function createSessionCalls(state: SessionState) {
  const now = () => state.clock.ms();
  let refreshes: Record<string, number[]> = {};

  function limited(kind: string, everyMs: number): boolean {
    const list = refreshes[kind] ?? [];
    const day = 24 * 3600_000;
    const today = list.filter((t) => t > now() - day);
    if (today.length >= 20 || (today.length > 0 && now() - today[today.length - 1]! < everyMs)) return true;
    today.push(now());
    refreshes[kind] = today;
    return false;
  }

  function certificationStatus(body: Record<string, unknown>): Answer {
    const type = String(body.queryType ?? "");
    if (type === "0" && limited("certification", 30_000)) return err(GUESSED.refreshLimited, "刷新过于频繁");
    if (type === "2")
      return ok({ certificationStatus: state.session() === "loggedOut" ? "0" : "1", loginType: "0" });
    if (type === "0" || type === "1")
      return ok({ certificationStatus: state.session() === "needsFaceAuth" ? "2" : "1" });
    return err("E4000", "接口调用失败：queryType 只能是 0、1、2");
  }

  function qrCode(body: Record<string, unknown>): Answer {
    const type = String(body.queryType ?? "");
    if ((type === "0" || type === "2") && limited(`qr${type}`, 60_000))
      return err(GUESSED.refreshLimited, "刷新过于频繁");
    if (!["0", "1", "2", "3"].includes(type)) return err("E4000", "接口调用失败：queryType 不支持");
    const face = type === "0" || type === "1";
    const end = new Date(now() + 5 * 60_000);
    return ok({
      status: "0",
      qrCode: `${state.baseUrl()}/qr/${face ? "face" : "login"}/${Math.floor(now() / 60_000)}`,
      qrCodeType: face ? "4" : "2",
      account: "138****0000",
      endTime: chinaTimeText(end),
    });
  }

  function verifyComplete(body: Record<string, unknown>): Answer {
    const type = String(body.queryType ?? "");
    if (!["0", "1", "2", "3"].includes(type)) return err("E4000", "接口调用失败：queryType 不支持");
    return ok({ status: state.session() === "ok" ? "1" : "0" });
  }

  function creditLine(body: Record<string, unknown>): Answer {
    if (String(body.queryType ?? "") === "0" && limited("credit", 30_000))
      return err(GUESSED.refreshLimited, "刷新过于频繁");
    const total = new Decimal("1000000.00");
    const used = state.creditUsed();
    return ok({
      totalCreditLine: total.toFixed(2),
      usedCreditLine: used.toFixed(2),
      availableCreditLine: total.minus(used).toFixed(2),
      amountUpdateTime: chinaTimeText(state.clock.now()),
    });
  }

  return {
    certificationStatus,
    qrCode,
    verifyComplete,
    creditLine,
    reset: () => {
      refreshes = {};
    },
  };
}
