/**
 * 金蝶发票云旗舰版 as a ChannelAdapter (channel.ts): the settings stored on a tax-bureau account →
 * one KingdeeChannel per distinct settings (kept, so the codec and client are built once), its
 * results → the shared contract's outcomes and errors. The access token (2 h) is kept sealed in
 * `channel_tokens` and fetched at most once at a time per 金蝶 account across every process
 * (channel-tokens.ts). Calls go out through the guarded outbound client: a tenant URL that resolves
 * to a loopback or private address is refused unless the deployment allows it.
 */
import { sha256Hex } from "../../../../platform/crypto";
import { OutboundError, postJson } from "../../../../platform/outbound-http";
import {
  ChannelAccountError,
  type ChannelAccountProblem,
  type ChannelAccountStatus,
  type ChannelAdapter,
  type ChannelFile,
  type ChannelOutcome,
  ChannelUnavailableError,
  type IssueRequest,
  type RedConfirmationReport,
} from "../channel.js";
import { fileHostsOf } from "../channel-files";
import { type ChannelDeps, type ChannelField, openSettings } from "../channel-registry";
import { type ChannelTokenKeeper, createChannelTokenKeeper } from "../channel-tokens";
import { accountProblem, KingdeeStop, type SharedKingdeeTokens } from "./client";
import { isKingdeeFileUrl, kingdeeSerialNo } from "./invoice-data";
import { createKingdeeChannel, type KingdeeChannel } from "./kingdee";
import { KINGDEE_MAPPING } from "./mapping";
import { type KingdeeSettings, KingdeeSettingsError, parseKingdeeSettings } from "./settings";
import type {
  AccountProblem,
  KingdeeAccountCheck,
  KingdeeIssueRequest,
  KingdeeRedConfirmation,
  KingdeeResult,
} from "./types";

export const KINGDEE_SECRET_KEYS = ["appSecret", "aesPassword"] as const;
export const KINGDEE_URL_KEYS = ["baseUrl"] as const;

/** The console's fields, in the order a merchant copies them from 金蝶 (docs/channels.md). */
export const KINGDEE_FIELDS: readonly ChannelField[] = [
  {
    key: "baseUrl",
    label: "租户地址",
    required: true,
    placeholder: "https://xxx.kdcloud.com",
    help: "金蝶实施人员提供的发票云旗舰版地址（含租户路径，不含 /api）",
  },
  { key: "appId", label: "appId", required: true, help: "第三方应用的 appId" },
  { key: "appSecret", label: "appSecret", required: true, secret: true },
  { key: "accountId", label: "数据中心 ID", required: true, help: "accountId：租户数据中心 ID" },
  { key: "user", label: "用户", required: true, help: "应用登录所用的发票云用户（用户名或手机号）" },
  {
    key: "userType",
    label: "用户类型",
    required: true,
    options: [
      { value: "UserName", label: "用户名（UserName）" },
      { value: "Mobile", label: "手机号（Mobile）" },
    ],
  },
  {
    key: "businessSystemCode",
    label: "业务系统编码",
    required: true,
    help: "与金蝶约定的业务系统编码；金蝶按它把开票结果回调到票码",
  },
  {
    key: "encryption",
    label: "加密策略",
    required: true,
    options: [
      { value: "base64", label: "BASE64" },
      { value: "aes", label: "AES" },
    ],
    help: "与金蝶租户后台的加密策略一致",
  },
  { key: "aesPassword", label: "AES 密码", secret: true, help: "加密策略为 AES 时必填" },
  { key: "tenantId", label: "租户 ID（可选）", help: "私有化部署要求时填写" },
];

const CONSUMER = {
  refused: "开票服务没有开出这张发票，商家已收到通知，会尽快处理。",
};

/** 金蝶's account problems → the contract's (the account turns 需重新认证 or 离线). */
const PROBLEM: Record<AccountProblem, ChannelAccountProblem> = {
  bad_credentials: "bad_credentials",
  token_expired: "bad_credentials",
  logged_out: "logged_out",
  face_auth: "identity_verification_due",
  misconfigured: "misconfigured",
};

export interface KingdeeAdapterDeps extends ChannelDeps {
  /** Deadline of one HTTP call (default 15 s); after it the outcome is unknown and is queried. */
  timeoutMs?: number;
  tokens?: ChannelTokenKeeper;
}

/** How many accounts' channels are kept built; the oldest is dropped past it. */
const KEPT_CHANNELS = 200;

export function createKingdeeAdapter(deps: KingdeeAdapterDeps): ChannelAdapter {
  const now = deps.now ?? (() => new Date());
  const timeoutMs = deps.timeoutMs ?? 15_000;
  const keeper = deps.tokens ?? createChannelTokenKeeper(deps);
  const built = new Map<string, KingdeeChannel>();

  const sharedTokens: SharedKingdeeTokens = {
    obtain: (key, fetch, options) =>
      keeper.obtain(
        `kingdee:${sha256Hex(key)}`,
        "kingdee",
        async () => {
          const t = await fetch();
          return { token: t.accessToken, expiresAt: new Date(t.expiresAt) };
        },
        {
          usable: (t) =>
            options.usable({
              accessToken: t.token,
              expiresAt: t.expiresAt?.getTime() ?? Number.POSITIVE_INFINITY,
            }),
          ...(options.rejected ? { rejected: options.rejected } : {}),
        },
      ),
  };

  /** The guarded outbound client in the shape the 金蝶 client calls (POST only, no redirects). */
  const guardedFetch = (async (input: string | URL | Request, init?: RequestInit) => {
    const headers: Record<string, string> = {};
    new Headers(init?.headers).forEach((value, key) => {
      headers[key] = value;
    });
    try {
      const res = await postJson(String(input), String(init?.body ?? ""), headers, {
        timeoutMs,
        maxBytes: 4 * 1024 * 1024,
        allowPrivate: deps.allowPrivateUrls,
      });
      const status = res.status >= 200 && res.status <= 599 ? res.status : 502;
      const empty = status === 204 || status === 205 || status === 304;
      return new Response(empty ? null : new Uint8Array(res.body), { status });
    } catch (e) {
      if (e instanceof OutboundError && (e.kind === "blocked" || e.kind === "bad_url"))
        throw new KingdeeStop(accountProblem("private_url", "URL_REFUSED", e.message));
      if (e instanceof OutboundError && e.kind === "timeout")
        throw Object.assign(new Error(e.message), { name: "TimeoutError" });
      throw e;
    }
  }) as typeof fetch;

  function channelFor(stored: Record<string, unknown>): KingdeeChannel {
    const key = JSON.stringify(stored);
    const kept = built.get(key);
    if (kept) return kept;
    let settings: KingdeeSettings;
    try {
      settings = parseKingdeeSettings(openSettings(stored, deps.keyring, KINGDEE_SECRET_KEYS));
    } catch (e) {
      if (e instanceof KingdeeSettingsError)
        throw new ChannelAccountError(
          "misconfigured",
          "SETTINGS_INVALID",
          e.message,
          "请在 电子税局账号 页补全金蝶设置",
        );
      throw e;
    }
    const channel = createKingdeeChannel(settings, {
      fetch: guardedFetch,
      now: () => now().getTime(),
      timeoutMs,
      sharedTokens,
      warn: (message, detail) => deps.warn?.(`金蝶：${message}`, detail),
    });
    if (built.size >= KEPT_CHANNELS) built.delete(built.keys().next().value!);
    built.set(key, channel);
    return channel;
  }

  /** A 金蝶 result → an outcome; account problems and transient failures are thrown. */
  function outcomeOf(result: KingdeeResult, stored: Record<string, unknown>): ChannelOutcome {
    switch (result.status) {
      case "issued": {
        const files: ChannelFile[] = [];
        const baseUrl = String(stored.baseUrl ?? "");
        for (const kind of ["pdf", "ofd", "xml"] as const) {
          const url = result.files[kind];
          if (url && isKingdeeFileUrl(url, { baseUrl })) files.push({ kind, url });
        }
        return {
          status: "issued",
          number: result.number,
          issuedAt: result.issuedAt,
          files,
          ...reportOf(result.confirmation),
        };
      }
      case "pending":
        return { status: "pending", ...(result.note ? { message: result.note } : {}) };
      case "confirmation_pending":
        return { status: "confirmation_pending", ...reportOf(result.confirmation) };
      case "refused":
        return {
          status: "rejected",
          code: `KINGDEE_${result.channelCode}`,
          message: result.channelMessage,
          consumerMessage: result.consumerMessage || CONSUMER.refused,
          ...reportOf(result.confirmation),
        };
      case "account_problem":
        throw new ChannelAccountError(
          PROBLEM[result.problem],
          result.channelCode,
          result.channelMessage,
          result.operatorMessage,
        );
      case "transient":
        throw new ChannelUnavailableError(result.reason);
    }
  }

  function requestOf(request: IssueRequest): KingdeeIssueRequest {
    const { settings: _settings, color: _color, seller, buyer, ...rest } = request;
    return {
      ...rest,
      channelOrderNo: kingdeeSerialNo(request.serial),
      seller: { ...seller, bank: seller.bankName ?? null },
      buyer: { ...buyer, bank: buyer.bankName ?? null },
      remark: request.remark ?? null,
      drawer: request.drawer ?? "",
      payee: request.payee ?? null,
      reviewer: request.reviewer ?? null,
    };
  }

  return {
    id: "kingdee",
    pollsRedConfirmation: true,

    async issue(request) {
      const channel = channelFor(request.settings);
      if (request.color === "red") {
        if (!request.reverses?.number)
          return {
            status: "rejected",
            code: "RED_WITHOUT_BLUE",
            message: "红字发票缺少对应蓝字发票号码",
            consumerMessage: CONSUMER.refused,
          };
        const result = await channel.red({
          channelOrderNo: kingdeeSerialNo(request.serial),
          invoiceType: request.invoiceType,
          sellerTaxId: request.seller.taxId,
          blueNumber: request.reverses.number,
          reason: request.reverses.reason,
        });
        return outcomeOf(result, request.settings);
      }
      return outcomeOf(await channel.issue(requestOf(request)), request.settings);
    },

    async query(serial, settings, options) {
      const channel = channelFor(settings);
      if (!options?.sellerTaxId) throw new ChannelUnavailableError("金蝶查询需要销售方税号（调用方未提供）");
      const result = await channel.query({
        channelOrderNo: kingdeeSerialNo(serial),
        sellerTaxId: options.sellerTaxId,
      });
      return result && outcomeOf(result, settings);
    },

    async accountStatus(settings, account) {
      try {
        const channel = channelFor(settings);
        if (!account?.sellerTaxId)
          return { status: "offline", message: "金蝶账号检查需要销售方税号：该账号不属于任何组织" };
        return statusOf(await channel.testConnection({ sellerTaxId: account.sellerTaxId }));
      } catch (e) {
        if (e instanceof ChannelAccountError)
          return { status: e.accountStatus, problem: e.problem, message: e.message, action: e.action };
        throw e;
      }
    },

    // The files' hosts: the tenant's own (its baseUrl) and Kingdee's domains with their subdomains
    // (mapping.ts fileHostSuffixes) — the same rule the answer's URLs were filtered by.
    fileHosts(settings) {
      const known = KINGDEE_MAPPING.fileHostSuffixes.flatMap((suffix) => [suffix, `.${suffix}`]);
      return fileHostsOf(undefined, known, [String(settings.baseUrl ?? "")]);
    },
  };
}

/** A red invoice's 确认单 as the contract reports it (nothing for a blue invoice). */
function reportOf(confirmation: KingdeeRedConfirmation | undefined): {
  redConfirmation?: RedConfirmationReport;
} {
  return confirmation ? { redConfirmation: confirmation } : {};
}

/** ALLE.ACCOUNT.CHECK's answer as the console shows it. */
function statusOf(check: KingdeeAccountCheck): ChannelAccountStatus {
  switch (check.status) {
    case "ok":
      return {
        status: "online",
        message: "连接正常：电子税局已登录，实人认证有效",
        ...(check.creditLimit !== undefined
          ? { creditLine: { available: check.creditLimit, used: "", total: "" } }
          : {}),
      };
    case "account_problem": {
      const problem = PROBLEM[check.problem];
      return {
        status: problem === "misconfigured" ? "offline" : "reauth",
        problem,
        message: `${check.channelMessage}（${check.channelCode}）`,
        action: check.operatorMessage,
      };
    }
    case "transient":
      return { status: "offline", message: check.reason, action: "金蝶暂时无法连接：请稍后再点「测试连接」" };
    case "refused":
      return {
        status: "offline",
        message: `金蝶拒绝了账号检查：${check.channelCode} ${check.channelMessage}`,
        action: "请核对设置，或联系金蝶实施人员",
      };
  }
}
