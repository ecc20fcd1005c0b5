import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { jsapiSignature, newNonceStr } from "./jssdk";

describe("jsapiSignature", () => {
  it("signs WeChat's documented example (附录1) to its documented signature", () => {
    expect(
      jsapiSignature({
        ticket: "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
        nonceStr: "Wm3WZYTPz0wzccnW",
        timestamp: 1414587457,
        url: "http://mp.weixin.qq.com?params=value",
      }),
    ).toBe("0f9de62fce790f9a083d5c99e95740ceb90c27ed");
  });

  it("drops the URL's fragment and sorts the keys in ASCII order", () => {
    const signed = jsapiSignature({
      ticket: "T",
      nonceStr: "N",
      timestamp: "1",
      url: "https://a.example/s/x#top",
    });
    const expected = createHash("sha1")
      .update("jsapi_ticket=T&noncestr=N&timestamp=1&url=https://a.example/s/x")
      .digest("hex");
    expect(signed).toBe(expected);
  });

  it("makes 16-character alphanumeric nonces", () => {
    expect(newNonceStr()).toMatch(/^[A-Za-z0-9]{16}$/);
    expect(newNonceStr()).not.toBe(newNonceStr());
  });
});
