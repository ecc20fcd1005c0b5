import { z } from "zod";
import type { Actor, AppContext } from "../../context";
import { hidden, orgParams } from "../../platform/console-schemas";
import { AppError } from "../../platform/errors";
import type { HttpServer } from "../../platform/http";
import { oneLine } from "../../platform/input";
import { parseInput } from "../../platform/validation";
import { requireOrg } from "../auth/access";
import { actorOf } from "../auth/console-guard";
import {
  findWechatCardSetup,
  getIntegrationsForConsole,
  integrationsOutput,
  saveWechatCardSetup,
} from "../organizations/organizations.integrations";
import { CARD_SETUP } from "./card.mapping";
import type { WechatAnswer, WechatCredentials } from "./wechat.client";

/**
 * 开通微信卡包 (CHANNELS.md §5.2–5.3, 自建平台模式): with the organization's saved 公众号 (its
 * 电子发票 plugin switched on in the 公众平台), three calls in order —
 *  1. `seturl {}` → invoice_url, whose `s_pappid` is saved (a saved one is reused, no call);
 *  2. `setbizattr?action=set_contact` with the merchant's contact ("本步骤不能忽略", else getauthurl
 *     fails) — always sent, it only sets;
 *  3. `platform/createcard` → the invoice card template's card_id, only when none is saved.
 * Each step's result is saved as soon as it is obtained, so a repeat after a refusal goes on from
 * there. The answer reports every step in words; a refusal names the step and WeChat's errcode and
 * errmsg (200 with ok=false: what succeeded before it is saved and shown).
 */

export const cardSetupInput = z.object({
  /** The merchant's contact phone for set_contact. */
  contactPhone: oneLine()
    .min(1, "请填写联系电话")
    .regex(/^[0-9+\-\s()]{5,30}$/, "联系电话只能含数字、空格和 +-()，5–30 位"),
  /** The card's title (createcard base_info.title): at most 9 characters. "" = the organization's name when it fits. */
  title: oneLine()
    .refine((v) => Array.from(v).length <= CARD_SETUP.titleMaxChars, {
      message: `卡券标题最多 ${CARD_SETUP.titleMaxChars} 个字`,
    })
    .default(""),
  /** The card's logo (base_info.logo_url), an image uploaded to WeChat (mmbiz.qpic.cn). */
  logoUrl: oneLine()
    .max(500, "logo 地址不能超过 500 个字符")
    .regex(/^(https?:\/\/\S+)?$/, "logo 地址应为 http(s) 网址")
    .default(""),
  /** The payee (收款方); "" = the organization's name. */
  payee: oneLine().max(100, "收款方不能超过 100 个字").default(""),
});

export const CARD_SETUP_STEPS = ["seturl", "set_contact", "createcard"] as const;
export type CardSetupStep = (typeof CARD_SETUP_STEPS)[number];

const stepOutput = z.object({
  step: z.enum(CARD_SETUP_STEPS),
  /** done: called and succeeded; reused: a saved value was used, no call; failed; skipped (an earlier step failed). */
  status: z.enum(["done", "reused", "failed", "skipped"]),
  message: z.string(),
  errcode: z.number().nullable(),
  errmsg: z.string().nullable(),
});
export const cardSetupOutput = z.object({
  ok: z.boolean(),
  steps: z.array(stepOutput),
  integrations: integrationsOutput,
});
export type CardSetupOutput = z.infer<typeof cardSetupOutput>;
type StepResult = z.infer<typeof stepOutput>;

const STEP_NAME: Record<CardSetupStep, string> = {
  seturl: "第 1 步 获取 s_pappid（seturl）",
  set_contact: "第 2 步 设置商户联系方式（setbizattr set_contact）",
  createcard: "第 3 步 创建发票卡券模板（createcard）",
};

/** The s_pappid in seturl's invoice_url (`…authinvoice?action=list&s_pappid=…`). */
export function sPappidOf(invoiceUrl: unknown): string | null {
  if (typeof invoiceUrl !== "string") return null;
  try {
    const v = new URL(invoiceUrl).searchParams.get("s_pappid");
    return v && /^[A-Za-z0-9_=+/-]{1,200}$/.test(v) ? v : null;
  } catch {
    return null;
  }
}

export async function setUpWechatCard(
  ctx: Pick<AppContext, "database" | "keyring" | "providers">,
  options: { actor: Actor; orgId: string; input: unknown },
): Promise<CardSetupOutput> {
  const actor = requireOrg(options.actor, options.orgId, "administer");
  const input = parseInput(cardSetupInput, options.input);
  const setup = await findWechatCardSetup(ctx, options.orgId);
  if (!setup.account)
    throw AppError.validation(
      { wechatAppId: "请先填写并保存公众号 AppID 与 AppSecret" },
      "开通微信卡包需要先保存公众号",
    );
  const account: WechatCredentials = setup.account;
  const savedPappid = setup.sPappid;
  const savedCardId = setup.cardId;
  const needCard = !savedCardId;
  const title = input.title || setup.orgName;
  const payee = input.payee || setup.orgName;
  if (needCard) {
    const fields: Record<string, string> = {};
    if (!input.title && Array.from(title).length > CARD_SETUP.titleMaxChars)
      fields.title = `组织名称超过 ${CARD_SETUP.titleMaxChars} 个字，请填写卡券标题`;
    if (!input.logoUrl) fields.logoUrl = "创建发票卡券模板需要 logo 地址";
    if (Object.keys(fields).length) throw AppError.validation(fields);
  }
  const wechat = ctx.providers.wechat;
  const steps: StepResult[] = [];
  const ok = (step: CardSetupStep, status: "done" | "reused", detail: string): StepResult => ({
    step,
    status,
    message: `${STEP_NAME[step]}：${detail}`,
    errcode: null,
    errmsg: null,
  });

  /** One call; a refusal, no answer or a token failure is a failed step (never thrown). */
  async function attempt(
    step: CardSetupStep,
    send: () => Promise<WechatAnswer>,
  ): Promise<WechatAnswer | null> {
    let answer: WechatAnswer;
    try {
      answer = await send();
    } catch (e) {
      if (!(e instanceof AppError)) throw e;
      const code = e.details?.wechatErrcode;
      steps.push({
        step,
        status: "failed",
        message: `${STEP_NAME[step]}失败：${e.message}`,
        errcode: typeof code === "number" ? code : null,
        errmsg: null,
      });
      return null;
    }
    if (Number(answer.errcode ?? 0) !== 0) {
      const errcode = Number(answer.errcode);
      const errmsg = String(answer.errmsg ?? "");
      steps.push({
        step,
        status: "failed",
        message: `${STEP_NAME[step]}失败：微信拒绝，errcode ${errcode}，errmsg ${errmsg || "（无）"}`,
        errcode,
        errmsg,
      });
      return null;
    }
    return answer;
  }

  const save = (values: { wechatInvoiceSPappid?: string; wechatInvoiceCardId?: string }) =>
    saveWechatCardSetup(ctx, { actor, orgId: options.orgId, values });

  const skipRest = () => {
    for (const step of CARD_SETUP_STEPS)
      if (!steps.some((s) => s.step === step))
        steps.push({
          step,
          status: "skipped",
          message: `${STEP_NAME[step]}：未执行（前一步失败）`,
          errcode: null,
          errmsg: null,
        });
  };

  /** The steps in order; returns at the first that fails. */
  async function run(): Promise<void> {
    // 1. seturl
    if (savedPappid) {
      steps.push(ok("seturl", "reused", `沿用已保存的 s_pappid ${savedPappid}`));
    } else {
      const answer = await attempt("seturl", () => wechat.postJson(account, CARD_SETUP.paths.seturl, {}));
      if (!answer) return;
      const sPappid = sPappidOf(answer.invoice_url);
      if (!sPappid) {
        steps.push({
          step: "seturl",
          status: "failed",
          message: `${STEP_NAME.seturl}失败：微信的应答中没有 s_pappid（invoice_url：${String(answer.invoice_url ?? "无")}）`,
          errcode: null,
          errmsg: null,
        });
        return;
      }
      await save({ wechatInvoiceSPappid: sPappid });
      steps.push(ok("seturl", "done", `已取得并保存 s_pappid ${sPappid}`));
    }
    // 2. set_contact
    const contact = await attempt("set_contact", () =>
      wechat.postJson(account, CARD_SETUP.paths.setContact, {
        contact: { phone: input.contactPhone, time_out: CARD_SETUP.contactTimeOutSeconds },
      }),
    );
    if (!contact) return;
    steps.push(ok("set_contact", "done", `已设置联系电话 ${input.contactPhone}`));
    // 3. createcard
    if (!needCard) {
      steps.push(ok("createcard", "reused", `沿用已保存的 card_id ${savedCardId}`));
      return;
    }
    const card = await attempt("createcard", () =>
      wechat.postJson(account, CARD_SETUP.paths.createcard, {
        invoice_info: {
          base_info: { logo_url: input.logoUrl, title },
          payee,
          type: CARD_SETUP.invoiceType,
        },
      }),
    );
    if (!card) return;
    const cardId = typeof card.card_id === "string" ? card.card_id : "";
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(cardId)) {
      steps.push({
        step: "createcard",
        status: "failed",
        message: `${STEP_NAME.createcard}失败：微信的应答中没有有效的 card_id`,
        errcode: null,
        errmsg: null,
      });
      return;
    }
    await save({ wechatInvoiceCardId: cardId });
    steps.push(ok("createcard", "done", `已创建并保存 card_id ${cardId}`));
  }
  await run();
  skipRest();
  return {
    ok: steps.every((s) => s.status === "done" || s.status === "reused"),
    steps,
    integrations: await getIntegrationsForConsole(ctx, { actor, orgId: options.orgId }),
  };
}

/** 开通微信卡包 in the console, next to the organization's integrations (admin). */
export function registerWechatCardSetupRoutes(http: HttpServer, ctx: AppContext): void {
  http.post(
    "/orgs/:orgId/integrations/wechat-card",
    {
      schema: {
        ...hidden,
        params: orgParams,
        body: cardSetupInput,
        response: { 200: cardSetupOutput },
      },
    },
    async (req) => setUpWechatCard(ctx, { actor: actorOf(req), orgId: req.params.orgId, input: req.body }),
  );
}
