import type Decimal from "decimal.js";
import { chinaTimeText, type StandinClock } from "../clock";
import { type Answer, err, GUESSED, type NuonuoScenario, ok } from "./model";

/** What the session calls read of the stand-in's state (and change: a completed scan logs in). */
interface SessionState {
  clock: StandinClock;
  session: () => NuonuoScenario["session"];
  setSession: (session: NuonuoScenario["session"]) => void;
  creditUsed: () => Decimal;
  /** 授信额度 total (tax-exclusive). */
  creditTotal: () => Decimal;
  baseUrl: () => string;
}

/** A QR code 诺诺 handed out: the face-auth one (getQrCode 0/1) or the login one (2/3). */
interface Qr {
  kind: "face" | "login";
  text: string;
  endMs: number;
  /** Someone scanned it (the `qr/scan` control) before it expired. */
  scanned: boolean;
}

/** The QR's validity (CHANNELS.md §1.9: 5 minutes). */
const QR_VALID_MS = 5 * 60_000;

/**
 * The 数电 session, 实人认证 and credit-line calls of the 诺诺 stand-in (CHANNELS.md §1.9), with the
 * real service's refresh limits (at most 20 a day per kind, and a pause between two).
 *
 * QR codes: getQrCode 0 (face) / 2 (login) hands out a new one valid for 5 minutes; 1 / 3 read the
 * current one (the bureau has one as soon as it asks for a scan: reading first makes it). Someone
 * scans it with `POST /__standin/qr/scan` (the current one; refused once expired). A scanned login
 * QR logs the session in when the scan is confirmed (verifyComplete 0); a scanned face QR clears
 * 实人认证 when the certification state is refreshed from the bureau (getCertificationStatus 0) —
 * reading it (1) shows what the bureau said last. verifyComplete 1 reads the scan's result.
 */
export function createSessionCalls(state: SessionState) {
  const now = () => state.clock.ms();
  let refreshes: Record<string, number[]> = {};
  let qrs: Partial<Record<Qr["kind"], Qr>> = {};
  let serial = 0;

  function limited(kind: string, everyMs: number): boolean {
    const list = refreshes[kind] ?? [];
    const day = 24 * 3600_000;
    const today = list.filter((t) => t > now() - day);
    if (today.length >= 20 || (today.length > 0 && now() - today[today.length - 1]! < everyMs)) return true;
    today.push(now());
    refreshes[kind] = today;
    return false;
  }

  const due = (kind: Qr["kind"]) => state.session() === (kind === "face" ? "needsFaceAuth" : "loggedOut");

  function newQr(kind: Qr["kind"]): Qr {
    serial += 1;
    const qr: Qr = {
      kind,
      text: `${state.baseUrl()}/qr/${kind}/${Math.floor(now() / 60_000)}-${serial}`,
      endMs: now() + QR_VALID_MS,
      scanned: false,
    };
    qrs[kind] = qr;
    return qr;
  }

  /** 0 in progress / 1 scanned / 2 expired (getQrCode and verifyComplete `status`). */
  const scanStatus = (qr: Qr | undefined) => (qr?.scanned ? "1" : !qr || qr.endMs <= now() ? "2" : "0");

  function certificationStatus(body: Record<string, unknown>): Answer {
    const type = String(body.queryType ?? "");
    if (type === "0" && limited("certification", 30_000)) return err(GUESSED.refreshLimited, "刷新过于频繁");
    if (type === "2")
      return ok({ certificationStatus: state.session() === "loggedOut" ? "0" : "1", loginType: "0" });
    if (type === "0" && state.session() === "needsFaceAuth" && qrs.face?.scanned) {
      // The bureau now knows of the face check done by scanning.
      state.setSession("ok");
      qrs.face = undefined;
    }
    if (type === "0" || type === "1")
      return ok({ certificationStatus: state.session() === "needsFaceAuth" ? "2" : "1" });
    return err("E4000", "接口调用失败：queryType 只能是 0、1、2");
  }

  function qrCode(body: Record<string, unknown>): Answer {
    const type = String(body.queryType ?? "");
    if (!["0", "1", "2", "3"].includes(type)) return err("E4000", "接口调用失败：queryType 不支持");
    const kind = type === "0" || type === "1" ? "face" : "login";
    // [G] Asking for a QR the session does not need: the real answer is not documented.
    if (!due(kind))
      return err("E9702", kind === "face" ? "当前无需实人认证" : "数电账号已登录，无需扫码登录");
    if ((type === "0" || type === "2") && limited(`qr${type}`, 60_000))
      return err(GUESSED.refreshLimited, "刷新过于频繁");
    const qr = type === "0" || type === "2" || !qrs[kind] ? newQr(kind) : qrs[kind]!;
    return ok({
      status: scanStatus(qr),
      qrCode: qr.text,
      qrCodeType: kind === "face" ? "4" : "2",
      account: "138****0000",
      endTime: chinaTimeText(new Date(qr.endMs)),
    });
  }

  function verifyComplete(body: Record<string, unknown>): Answer {
    const type = String(body.queryType ?? "");
    if (!["0", "1", "2", "3"].includes(type)) return err("E4000", "接口调用失败：queryType 不支持");
    if (type === "2" || type === "3") return ok({ status: state.session() === "ok" ? "1" : "0" });
    // The scan of the QR handed out last (login first: it is the one confirmed here).
    const qr = due("login") ? qrs.login : due("face") ? qrs.face : undefined;
    if (!qr) return ok({ status: state.session() === "ok" ? "1" : "2" });
    const status = scanStatus(qr);
    if (type === "0" && qr.kind === "login" && status === "1") {
      state.setSession("ok");
      qrs.login = undefined;
    }
    return ok({ status });
  }

  function creditLine(body: Record<string, unknown>): Answer {
    if (String(body.queryType ?? "") === "0" && limited("credit", 30_000))
      return err(GUESSED.refreshLimited, "刷新过于频繁");
    const total = state.creditTotal();
    const used = state.creditUsed();
    return ok({
      totalCreditLine: total.toFixed(2),
      usedCreditLine: used.toFixed(2),
      availableCreditLine: total.minus(used).toFixed(2),
      amountUpdateTime: chinaTimeText(state.clock.now()),
    });
  }

  /** `POST /__standin/qr/scan {kind?}`: someone scans the current QR (refused when none or expired). */
  function scan(kind?: unknown): { scanned: string } {
    const which: Qr["kind"] = kind === "face" || kind === "login" ? kind : due("face") ? "face" : "login";
    const qr = qrs[which];
    if (!qr) throw new Error(`qr/scan: no ${which} QR handed out`);
    if (qr.endMs <= now()) throw new Error(`qr/scan: the ${which} QR expired`);
    qr.scanned = true;
    return { scanned: qr.text };
  }

  return {
    certificationStatus,
    qrCode,
    verifyComplete,
    creditLine,
    scan,
    reset: () => {
      refreshes = {};
      qrs = {};
    },
  };
}
