/**
 * 微信抬头: inside WeChat, the user's saved invoice titles through the JS-SDK (`chooseInvoiceTitle`).
 * A chunk of its own, imported only when the page runs in WeChat and the organization has configured
 * its 公众号; it loads WeChat's script, has the server sign `wx.config` for this page and opens the
 * chooser. Never part of the first load.
 */
import { type ApiError, requestJson } from "./api";
import type { TitleChoice } from "./form";
import { parseWechatTitle } from "./title-parse";

export const JSSDK_URL = "https://res.wx.qq.com/open/js/jweixin-1.6.0.js";

interface WxConfig {
  appId: string;
  timestamp: number;
  nonceStr: string;
  signature: string;
  jsApiList: string[];
}

interface Wx {
  config(options: WxConfig & { debug: boolean }): void;
  ready(callback: () => void): void;
  error(callback: (res: { errMsg?: string }) => void): void;
  chooseInvoiceTitle(options: {
    scene: string;
    success: (res: { choose_invoice_title_info?: unknown }) => void;
    cancel?: () => void;
    fail?: (res: { errMsg?: string }) => void;
  }): void;
}

type WxWindow = Window & { wx?: Wx; jWeixin?: Wx };

function loadScript(src: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.async = true;
    script.onload = () => resolve();
    script.onerror = () => reject(new Error("微信 JS-SDK 加载失败"));
    document.head.appendChild(script);
  });
}

let ready: Promise<Wx> | null = null;

/** WeChat's bridge, configured for this page (once per visit; a failure lets the next tap retry). */
function configured(token: string): Promise<Wx> {
  if (!ready) {
    ready = (async () => {
      const w = window as WxWindow;
      if (!w.wx && !w.jWeixin) await loadScript(JSSDK_URL);
      const wx = w.wx ?? w.jWeixin;
      if (!wx) throw new Error("微信 JS-SDK 不可用");
      const { body } = await requestJson<WxConfig>(
        (input, init) => fetch(input, init),
        `/api/scan/${encodeURIComponent(token)}/wechat-config`,
        { method: "POST", body: { url: location.href.split("#")[0] } },
      );
      await new Promise<void>((resolve, reject) => {
        wx.ready(resolve);
        wx.error((res) => reject(new Error(res.errMsg || "微信配置失败")));
        wx.config({ debug: false, ...body });
      });
      return wx;
    })();
    ready.catch(() => {
      ready = null;
    });
  }
  return ready;
}

/** Opens WeChat's title chooser: the picked title, or null when the user cancelled. */
export async function chooseWechatTitle(token: string): Promise<TitleChoice | null> {
  try {
    return await choose(await configured(token));
  } catch (error) {
    throw new Error(wechatErrorText(error));
  }
}

function choose(wx: Wx): Promise<TitleChoice | null> {
  return new Promise((resolve, reject) => {
    wx.chooseInvoiceTitle({
      scene: "1",
      success: (res) => {
        const title = parseWechatTitle(res.choose_invoice_title_info);
        if (title) resolve(title);
        else reject(new Error("未能读取微信抬头"));
      },
      cancel: () => resolve(null),
      fail: (res) =>
        /cancel/i.test(res.errMsg ?? "") ? resolve(null) : reject(new Error(res.errMsg || "微信抬头不可用")),
    });
  });
}

/** What the page says when it did not work: the server's message for its own errors. */
function wechatErrorText(error: unknown): string {
  const e = error as Partial<ApiError> & { message?: string };
  return e?.message ? `微信抬头暂不可用：${e.message}` : "微信抬头暂不可用，请手动填写";
}
