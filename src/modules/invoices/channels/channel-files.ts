import { getBytes, OutboundError } from "../../../platform/outbound-http";
import type { ChannelFile } from "./channel.js";

/** The cap on one file from a channel, and the deadline of its download. */
export const CHANNEL_FILE_MAX_BYTES = 10 * 1024 * 1024;
export const CHANNEL_FILE_TIMEOUT_MS = 15_000;

export const CHANNEL_FILE_TYPES: Record<ChannelFile["kind"], string> = {
  pdf: "application/pdf",
  ofd: "application/ofd",
  xml: "application/xml",
};

/**
 * The hosts a channel's files may come from: the account's setting (`fileHosts`, host names
 * separated by commas or spaces) when given, else the channel's known file hosts plus the host of
 * its API URL. A leading dot allows the subdomains of a name.
 */
export function fileHostsOf(
  setting: unknown,
  known: readonly string[],
  apiUrls: ReadonlyArray<string | undefined>,
): string[] {
  const typed =
    typeof setting === "string"
      ? setting
          .split(/[\s,，]+/)
          .map((h) => h.trim().toLowerCase())
          .filter(Boolean)
      : [];
  if (typed.length > 0) return typed;
  const own = apiUrls.flatMap((u) => {
    try {
      return u ? [new URL(u).hostname.toLowerCase()] : [];
    } catch {
      return [];
    }
  });
  return [...new Set([...known, ...own])];
}

/** Why a channel file URL may not be fetched, or null. */
export function fileUrlProblem(url: string, allowedHosts: readonly string[]): string | null {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return "文件地址无效";
  }
  if (target.protocol !== "https:" && target.protocol !== "http:") return "文件地址只能是 http(s)";
  const host = target.hostname.replace(/^\[|\]$/g, "").toLowerCase();
  const allowed = allowedHosts.some((h) => (h.startsWith(".") ? host.endsWith(h) : host === h));
  return allowed ? null : `文件地址的域名 ${host} 不在允许的文件域名内`;
}

/**
 * Downloads one of the channel's own files (the legal PDF / OFD / XML): only from an allowed host,
 * no redirects (a 3xx is a failure), at most CHANNEL_FILE_MAX_BYTES, within the deadline, and the
 * guarded outbound client's address checks. Throws an Error saying why.
 */
export async function fetchChannelFile(
  file: ChannelFile,
  options: { allowedHosts: readonly string[]; allowPrivate: boolean; timeoutMs?: number; maxBytes?: number },
): Promise<Buffer> {
  const problem = fileUrlProblem(file.url, options.allowedHosts);
  if (problem) throw new Error(problem);
  let answer: Awaited<ReturnType<typeof getBytes>>;
  try {
    answer = await getBytes(file.url, {
      timeoutMs: options.timeoutMs ?? CHANNEL_FILE_TIMEOUT_MS,
      maxBytes: options.maxBytes ?? CHANNEL_FILE_MAX_BYTES,
      allowPrivate: options.allowPrivate,
    });
  } catch (e) {
    throw new Error(e instanceof OutboundError ? e.message : `下载失败：${(e as Error).message}`);
  }
  if (answer.status >= 300 && answer.status < 400)
    throw new Error(`文件地址重定向（HTTP ${answer.status}），不跟随`);
  if (answer.status !== 200) throw new Error(`文件下载失败（HTTP ${answer.status}）`);
  if (answer.body.length === 0) throw new Error("文件为空");
  return answer.body;
}
