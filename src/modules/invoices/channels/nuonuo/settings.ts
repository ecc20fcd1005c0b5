import { z } from "zod";

export const NUONUO_DEFAULT_API_URL = "https://sdk.nuonuo.com/open/v1/services";
export const NUONUO_DEFAULT_TOKEN_URL = "https://open.nuonuo.com/accessToken";

const url = (key: string) =>
  z.url({ protocol: /^https?$/, error: `${key} 必须是 http(s) 地址` }).max(500, `${key} 过长`);
const text = (key: string, max: number) =>
  z
    .string({ error: `${key} 必须是文字` })
    .trim()
    .max(max, `${key} 不能超过 ${max} 个字符`);

/** Settings of a 诺诺 (诺税通 SaaS) tax-bureau account; see docs/channels.md. */
export const nuonuoSettings = z
  .object({
    apiUrl: url("apiUrl").default(NUONUO_DEFAULT_API_URL),
    tokenUrl: url("tokenUrl").default(NUONUO_DEFAULT_TOKEN_URL),
    appKey: text("appKey", 64).min(1, "请填写 appKey"),
    appSecret: text("appSecret", 128).min(1, "请填写 appSecret"),
    /** A pasted token (e.g. a permanent one): used instead of fetching one. */
    accessToken: text("accessToken", 256).optional(),
    /** 分机号: which 数电 account at 诺诺 issues. */
    extensionNumber: text("extensionNumber", 20).default(""),
    /** 开票员 that matches the 数电 login; the invoice's 开票人 otherwise. */
    clerk: text("clerk", 20).optional(),
    /**
     * Hosts 诺诺's invoice files may be downloaded from (comma-separated; `.example.com` allows its
     * subdomains); default: 诺诺's known file hosts plus the host of apiUrl.
     */
    fileHosts: text("fileHosts", 500).optional(),
    /** Where 诺诺 posts results; the server's own callback URL when absent (phase 2). */
    callbackUrl: url("callbackUrl").optional(),
  })
  .strict();
export type NuonuoSettings = z.output<typeof nuonuoSettings>;

export const NUONUO_SECRET_KEYS = ["appSecret", "accessToken"] as const;
export const NUONUO_URL_KEYS = ["apiUrl", "tokenUrl", "callbackUrl"] as const;
