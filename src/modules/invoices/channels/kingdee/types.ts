/**
 * The 金蝶 adapter's side of the grown channel contract (issue 15). The current contract
 * (`invoices/channels/channel.ts`) lacks pending results, account problems, the whole invoice and a
 * channel order number; until the shared contract grows, the adapter states here what it takes and
 * what it answers. The lead maps these onto the shared types at merge.
 */
import type { RedConfirmationStatus } from "../../../../domain";
import type { IssueRequest } from "../channel";

/** Contact details a party may have; each one is printed on the invoice when present. */
export interface PartyContact {
  address?: string | null;
  phone?: string | null;
  bank?: string | null;
  bankAccount?: string | null;
}

/**
 * A blue invoice to issue: the current contract's request plus what the invoice carries besides.
 * `settings` is ignored (the channel is created with its account's settings).
 */
export interface KingdeeIssueRequest
  extends Omit<
    IssueRequest,
    "settings" | "seller" | "buyer" | "color" | "remark" | "drawer" | "payee" | "reviewer"
  > {
  /** Kingdee `serialNo` (≤ 50): `kingdeeSerialNo(ourSerial)`, stored by the caller before the first call. */
  channelOrderNo: string;
  seller: IssueRequest["seller"] & PartyContact;
  buyer: IssueRequest["buyer"] & PartyContact & { email?: string | null; mobile?: string | null };
  remark?: string | null;
  /** 开票人: required by the bureau (乐企). */
  drawer: string;
  payee?: string | null;
  reviewer?: string | null;
  settings?: IssueRequest["settings"];
}

/** A red invoice reversing a whole blue one (the bureau's 红字确认单 flow behind ALLE.INVOICE.RED). */
export interface KingdeeRedRequest {
  /** The red invoice's own channel order number (from its own serial), stored before the first call. */
  channelOrderNo: string;
  invoiceType: IssueRequest["invoiceType"];
  sellerTaxId: string;
  /** The blue invoice's 20-digit number. */
  blueNumber: string;
  /** One of 开票有误 / 销货退回 / 服务中止 / 销售折让 (others are sent as 开票有误). */
  reason: string;
}

export interface ChannelFiles {
  pdf?: string;
  ofd?: string;
  xml?: string;
}

/** Why an account cannot issue right now; the account turns 需重新认证 (credentials, login) or 离线. */
export type AccountProblem =
  | "bad_credentials" // app id / secret / account id / user refused by getAppToken or login
  | "token_expired" // re-authentication itself keeps failing with a token error
  | "logged_out" // the 电子税局 session of the tax number is logged out
  | "face_auth" // 实人认证 due
  | "misconfigured"; // encryption mode / AES password / businessSystemCode do not match the tenant

/** A red invoice's 确认单 as Kingdee reports it: its number and our state for it (mapping.ts). */
export interface KingdeeRedConfirmation {
  number?: string;
  status?: Exclude<RedConfirmationStatus, "requested" | "failed">;
}

export type KingdeeResult =
  | {
      status: "issued";
      /** For a red invoice: its 确认单. */
      confirmation?: KingdeeRedConfirmation;
      number: string;
      issuedAt: Date;
      /** 价税合计 as Kingdee reports it (decimal text), when it does. */
      totalAmount?: string;
      /** The channel's legal files; to be fetched by the caller from the channel's hosts only. */
      files: ChannelFiles;
      /** Kingdee reports the invoice as since reversed (红冲) or voided. */
      laterState?: "reversed" | "voided";
    }
  /** Accepted, 开票中: query again later (about 3 s, 5 s, then the sweep's cadence). */
  | { status: "pending"; note?: string }
  /** A red invoice whose 确认单 waits for the other party. */
  | { status: "confirmation_pending"; confirmStatus: string; confirmation?: KingdeeRedConfirmation }
  /** Refused for good. `channelCode`/`channelMessage` for the operator; `consumerMessage` for the consumer. */
  | {
      status: "refused";
      channelCode: string;
      channelMessage: string;
      consumerMessage: string;
      confirmation?: KingdeeRedConfirmation;
    }
  /** The account cannot issue now; the invoice waits until the account is fixed. */
  | {
      status: "account_problem";
      problem: AccountProblem;
      channelCode: string;
      channelMessage: string;
      /** What the operator should do, in the console's words. */
      operatorMessage: string;
    }
  /** Unreachable, 5xx, timeout, rate-limited, or an answer we could not read: the outcome is unknown; retry. */
  | { status: "transient"; reason: string; retryAfterMs?: number };

export type KingdeeAccountCheck =
  | {
      status: "ok";
      loggedIn: boolean;
      faceAuthDone: boolean;
      /** 授信额度 (decimal text) when Kingdee reports it. */
      creditLimit?: string;
      raw: Record<string, unknown>;
    }
  | Extract<KingdeeResult, { status: "account_problem" | "transient" | "refused" }>;
