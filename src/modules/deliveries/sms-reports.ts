import { sql } from "drizzle-orm";
import { z } from "zod";
import type { AppContext } from "../../context";
import { safeEqual } from "../../platform/crypto";
import { AppError } from "../../platform/errors";
import { errorBody, type HttpServer, registerScope } from "../../platform/http";

/**
 * SMS delivery reports: the provider posts what became of each message to a URL the operator gives
 * it, holding PIAOMA_SMS_REPORT_TOKEN as a path segment (the reports are unsigned):
 * `POST /sms/aliyun/report/{token}` (阿里云 SmsReport, HTTP 批量推送: a JSON array of
 * `{ biz_id, success, err_code, err_msg, report_time, … }`) and `POST /sms/tencent/report/{token}`
 * (腾讯云 短信下发状态回调: `[{ sid, report_status: SUCCESS|FAIL, errmsg, description, … }]`). Each
 * report moves the SMS delivery it names (by the provider's message id) from sent to delivered or
 * failed; reports for unknown or already reported messages change nothing.
 */
export interface SmsReport {
  messageId: string;
  delivered: boolean;
  code: string;
  description: string;
}

export async function applySmsReports(
  ctx: Pick<AppContext, "database" | "log" | "metrics">,
  reports: SmsReport[],
): Promise<number> {
  let applied = 0;
  for (const r of reports) {
    const error = r.delivered
      ? null
      : `短信未送达：${r.code}${r.description ? ` ${r.description}` : ""}`.slice(0, 500);
    const result = (await ctx.database.db.execute(
      sql`update deliveries set status = ${r.delivered ? "delivered" : "failed"}, reported_at = now(),
            last_error = coalesce(${error}, last_error), next_attempt_at = null, updated_at = now()
          where provider_message_id = ${r.messageId} and channel = 'sms' and status = 'sent'
          returning id`,
    )) as unknown as { rows: unknown[] };
    applied += result.rows.length;
    if (result.rows.length > 0)
      ctx.metrics.deliveryOutcomes.inc({
        channel: "sms",
        outcome: r.delivered ? "delivered" : "undelivered",
      });
  }
  if (applied < reports.length)
    ctx.log.info(
      { reports: reports.length, applied },
      "SMS reports for unknown or already reported messages ignored",
    );
  return applied;
}

const text = (max: number) => z.string().max(max);

const aliyunReport = z
  .array(
    z.object({
      biz_id: text(100).min(1),
      success: z.boolean(),
      err_code: text(100).default(""),
      err_msg: text(500).default(""),
      phone_number: text(40).optional(),
      report_time: text(40).optional(),
      send_time: text(40).optional(),
      sms_size: text(10).optional(),
      out_id: text(100).optional(),
    }),
  )
  .max(1000);

const tencentReport = z
  .array(
    z.object({
      sid: text(100).min(1),
      report_status: z.enum(["SUCCESS", "FAIL"]),
      errmsg: text(200).default(""),
      description: text(500).default(""),
      mobile: text(40).optional(),
      nationcode: text(10).optional(),
      user_receive_time: text(40).optional(),
    }),
  )
  .max(1000);

const params = z.object({ token: text(200) });

export async function registerSmsReportRoutes(http: HttpServer, ctx: AppContext): Promise<void> {
  const checkToken = (token: string) => {
    const expected = ctx.config.sms.reportToken;
    if (!expected || !safeEqual(token, expected)) throw AppError.notFound("没有这个地址");
  };
  await registerScope(http, {}, (app) => {
    const tags = ["channels"];
    app.post(
      "/sms/aliyun/report/:token",
      {
        schema: {
          tags,
          summary: "阿里云短信 状态报告 (SmsReport HTTP push)",
          params,
          body: aliyunReport,
          response: { 200: z.object({ code: z.number(), msg: z.string() }), 404: errorBody, 422: errorBody },
        },
      },
      async (req) => {
        checkToken(req.params.token);
        await applySmsReports(
          ctx,
          req.body.map((r) => ({
            messageId: r.biz_id,
            delivered: r.success,
            code: r.err_code,
            description: r.err_msg,
          })),
        );
        return { code: 0, msg: "接收成功" };
      },
    );
    app.post(
      "/sms/tencent/report/:token",
      {
        schema: {
          tags,
          summary: "腾讯云短信 下发状态回调",
          params,
          body: tencentReport,
          response: {
            200: z.object({ result: z.number(), errmsg: z.string() }),
            404: errorBody,
            422: errorBody,
          },
        },
      },
      async (req) => {
        checkToken(req.params.token);
        await applySmsReports(
          ctx,
          req.body.map((r) => ({
            messageId: r.sid,
            delivered: r.report_status === "SUCCESS",
            code: r.errmsg,
            description: r.description,
          })),
        );
        return { result: 0, errmsg: "OK" };
      },
    );
  });
}
