import { getJson } from "../../../platform/outbound-http";
import { TIANYANCHA } from "./tianyancha.mapping";
import type { TitleProvider, TitleProviderFactory, TitleSuggestion } from "./title-provider";

/** A refusal of the service, with its code (logged; the consumer simply gets no suggestions). */
export class TitleProviderError extends Error {
  constructor(
    readonly provider: string,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "TitleProviderError";
  }
}

/**
 * 天眼查开放平台's company search as a `TitleProvider`: the name and 统一社会信用代码 of the companies
 * matching the words typed (its 搜索 API gives neither address nor bank). Its assumptions are in
 * `tianyancha.mapping.ts`, the guessed ones marked [G].
 */
export function tianyanchaProvider(options: { apiUrl: string; timeoutMs?: number }): TitleProviderFactory {
  return (key: string): TitleProvider => ({
    id: "tianyancha",
    async search(query: string, limit: number): Promise<TitleSuggestion[]> {
      const url = `${options.apiUrl}${TIANYANCHA.searchPath}?${new URLSearchParams({
        [TIANYANCHA.params.word]: query,
        [TIANYANCHA.params.pageSize]: String(Math.min(limit, TIANYANCHA.maxPageSize)),
        [TIANYANCHA.params.pageNum]: "1",
      })}`;
      const res = await getJson(
        url,
        { [TIANYANCHA.authHeader]: key },
        { timeoutMs: options.timeoutMs ?? 4_000, maxBytes: 512 * 1024, allowPrivate: true },
      );
      let answer: { error_code?: unknown; reason?: unknown; result?: { items?: unknown } };
      try {
        answer = JSON.parse(res.body.toString("utf8"));
      } catch {
        throw new TitleProviderError(
          "tianyancha",
          `HTTP_${res.status}`,
          `天眼查应答不是 JSON（HTTP ${res.status}）`,
        );
      }
      const code = Number(answer.error_code);
      if (code === TIANYANCHA.noResultCode) return [];
      if (code !== TIANYANCHA.okCode) {
        const known = TIANYANCHA.accountCodes[code];
        throw new TitleProviderError(
          "tianyancha",
          String(answer.error_code),
          `天眼查拒绝查询：${answer.error_code} ${known ?? String(answer.reason ?? "")}`.trim(),
        );
      }
      const items = Array.isArray(answer.result?.items)
        ? (answer.result.items as Record<string, unknown>[])
        : [];
      const out: TitleSuggestion[] = [];
      for (const item of items) {
        const name = String(item[TIANYANCHA.item.name] ?? "")
          .replace(TIANYANCHA.highlightTags, "")
          .trim();
        const taxId = String(item[TIANYANCHA.item.taxId] ?? "").trim();
        if (!name) continue;
        out.push({ name, taxId, type: "enterprise" });
        if (out.length >= limit) break;
      }
      return out;
    },
  });
}
