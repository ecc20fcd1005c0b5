import { TIANYANCHA } from "../../modules/scan/titles/tianyancha.mapping";
import { StandinClock } from "../clock";
import {
  type RunningStandin,
  type StandinDefinition,
  type StandinRequest,
  type StandinResponse,
  startStandin,
} from "../server";

/**
 * A local 天眼查开放平台 搜索 API (2.0) for the 抬头 lookup: `GET /services/open/search/2.0?word&pageSize&pageNum`
 * with the account's Token in `Authorization`, answering with the shapes and codes of the adapter's
 * mapping table (the guessed ones marked [G] there). A handful of companies; matches highlighted
 * with <em> as the real service does. Counts calls and can fail on command:
 * `POST /__standin/fail {errorCode, times?}` or `{status: 503}`.
 */
export const DEFAULT_TIANYANCHA_TOKEN = "tyc-3b7f0c2a-9d14-4e8b-a6f5-1c2d3e4f5a6b";

export interface TianyanchaCompany {
  name: string;
  creditCode: string;
}

export const DEFAULT_COMPANIES: TianyanchaCompany[] = [
  { name: "杭州示例网络科技有限公司", creditCode: "91330106MA2B0000X1" },
  { name: "杭州示例餐饮管理有限公司", creditCode: "91330105MA2C1111Y2" },
  { name: "上海示例信息技术有限公司", creditCode: "91310115MA1K2222Z3" },
  { name: "北京百度网讯科技有限公司", creditCode: "91110000802100433B" },
];

export function createTianyanchaStandin(
  options: { tokens?: string[]; companies?: TianyanchaCompany[]; port?: number; host?: string } = {},
) {
  const clock = new StandinClock("manual");
  const tokens = new Set(options.tokens ?? [DEFAULT_TIANYANCHA_TOKEN]);
  const companies = options.companies ?? DEFAULT_COMPANIES;
  let searches: string[] = [];
  let failures: Array<{ errorCode?: number; status?: number; times: number }> = [];

  const answer = (error_code: number, reason: string, result: unknown = null): StandinResponse => ({
    json: { error_code, reason, result },
  });

  function search(req: StandinRequest): StandinResponse {
    const word = req.url.searchParams.get(TIANYANCHA.params.word) ?? "";
    searches.push(word);
    const failure = failures[0];
    if (failure) {
      failure.times -= 1;
      if (failure.times <= 0) failures.shift();
      if (failure.status) return { status: failure.status, text: "Service Unavailable" };
      return answer(failure.errorCode ?? 300001, "请求失败");
    }
    const token = String(req.headers[TIANYANCHA.authHeader.toLowerCase()] ?? "");
    if (!tokens.has(token)) return answer(300009, "账号信息有误");
    if (!word) return answer(300008, "缺少必要参数");
    const size = Math.min(Number(req.url.searchParams.get(TIANYANCHA.params.pageSize) ?? 20) || 20, 20);
    const found = companies.filter((c) => c.name.includes(word)).slice(0, size);
    if (found.length === 0) return answer(TIANYANCHA.noResultCode, "经查无结果");
    return answer(0, "ok", {
      total: found.length,
      items: found.map((c, i) => ({
        id: 1000 + i,
        name: c.name.split(word).join(`<em>${word}</em>`),
        creditCode: c.creditCode,
        regStatus: "存续",
        companyType: 1,
        type: 1,
      })),
    });
  }

  const definition: StandinDefinition = {
    name: "tianyancha",
    handle(req) {
      if (req.method === "GET" && req.url.pathname === TIANYANCHA.searchPath) return search(req);
      return { status: 404, json: { error_code: 300010, reason: "URL不存在" } };
    },
    control(action, body) {
      if (action === "tick") return {};
      if (action === "fail") {
        failures.push({
          errorCode: typeof body.errorCode === "number" ? body.errorCode : undefined,
          status: typeof body.status === "number" ? body.status : undefined,
          times: typeof body.times === "number" && body.times > 0 ? body.times : 1,
        });
        return { failing: failures.length };
      }
      throw new Error(`unknown control ${action}`);
    },
    state: () => ({ searches }),
    reset() {
      searches = [];
      failures = [];
    },
  };

  return {
    definition,
    /** The words asked for, in order. */
    searches: () => [...searches],
    start: (): Promise<RunningStandin> =>
      startStandin(definition, clock, { port: options.port, host: options.host }),
  };
}
