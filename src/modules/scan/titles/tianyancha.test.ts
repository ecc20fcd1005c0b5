import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type RunningStandin, standinControl } from "../../../standins/server";
import {
  createTianyanchaStandin,
  DEFAULT_TIANYANCHA_TOKEN,
} from "../../../standins/tianyancha/tianyancha-standin";
import { TitleProviderError, tianyanchaProvider } from "./tianyancha";

describe("天眼查 adapter against its stand-in", () => {
  const tyc = createTianyanchaStandin();
  let standin: RunningStandin;
  beforeAll(async () => {
    standin = await tyc.start();
  });
  afterAll(() => standin.close());
  beforeEach(() => standinControl(standin.url, "reset"));

  const provider = (key = DEFAULT_TIANYANCHA_TOKEN) => tianyanchaProvider({ apiUrl: standin.url })(key);

  it("returns name and 统一社会信用代码 of the matches, highlight tags removed, up to the limit", async () => {
    expect(await provider().search("杭州示例", 10)).toEqual([
      { name: "杭州示例网络科技有限公司", taxId: "91330106MA2B0000X1", type: "enterprise" },
      { name: "杭州示例餐饮管理有限公司", taxId: "91330105MA2C1111Y2", type: "enterprise" },
    ]);
    expect(await provider().search("示例", 1)).toHaveLength(1);
    expect(tyc.searches()).toEqual(["杭州示例", "示例"]);
  });

  it("answers an empty list for the service's 'no result' code", async () => {
    expect(await provider().search("不存在的公司", 10)).toEqual([]);
  });

  it("reports a refused key, an exhausted account and a failing service with the code", async () => {
    const wrongKey = await provider("not-the-key")
      .search("杭州", 10)
      .catch((e) => e);
    expect(wrongKey).toBeInstanceOf(TitleProviderError);
    expect([wrongKey.code, wrongKey.message]).toEqual(["300009", "天眼查拒绝查询：300009 账号信息有误"]);
    await standinControl(standin.url, "fail", { errorCode: 300007 });
    expect(
      (
        await provider()
          .search("杭州", 10)
          .catch((e) => e)
      ).message,
    ).toContain("剩余次数不足");
    await standinControl(standin.url, "fail", { status: 503 });
    expect(
      (
        await provider()
          .search("杭州", 10)
          .catch((e) => e)
      ).code,
    ).toBe("HTTP_503");
  });
});
