import type { AppContext } from "../../context";
import { newId } from "../../platform/ids";
import { installationTemplate, noticeSmsMessage } from "./sms";

/**
 * A short notice to a consumer without an invoice attached (审核开票's refusal): one e-mail and/or
 * one SMS, sent once after the commit that decided it. Best effort: a failure is logged, not
 * retried — the consumer also reads the same words on the re-scan page.
 */
export async function sendNotice(
  ctx: Pick<AppContext, "providers" | "log" | "config">,
  notice: {
    email: string | null;
    mobile: string | null;
    subject: string;
    text: string;
    /** The SMS points at the code's page, which says what happened (gateways send only templates). */
    sms: { sellerName: string; token: string; page?: "s" | "m/p" };
  },
): Promise<void> {
  const sends: Array<Promise<unknown>> = [];
  if (notice.email)
    sends.push(
      ctx.providers.mailer.send({
        to: notice.email,
        subject: notice.subject,
        text: notice.text,
        attachments: [],
      }),
    );
  const template = installationTemplate(ctx.providers.sms, ctx.config.sms.noticeTemplate);
  if (notice.mobile && template === null)
    ctx.log.warn("consumer notice by SMS skipped: PIAOMA_SMS_NOTICE_TEMPLATE is not set");
  else if (notice.mobile)
    sends.push(
      ctx.providers.sms.send(
        noticeSmsMessage({
          mobile: notice.mobile,
          signName: ctx.config.sms.signName,
          templateCode: template ?? "",
          sellerName: notice.sms.sellerName,
          publicUrl: ctx.config.publicUrl,
          token: notice.sms.token,
          page: notice.sms.page,
          outId: newId("ntc"),
        }),
      ),
    );
  for (const r of await Promise.allSettled(sends))
    if (r.status === "rejected") ctx.log.warn({ err: r.reason }, "consumer notice not sent");
}
