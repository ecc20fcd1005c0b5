import type { Actor, AppContext } from "../../context";
import { requireOrg } from "../auth/access";
import { resendInvoiceForConsole, retryInvoiceForConsole } from "../invoices/invoices.console.service";
import { issueNow } from "../invoices/issuing.attempt";

/**
 * 异常中心's kinds: one entry each — what it is called, the statement that finds it, and its
 * one-click action. Adding a kind (bounced deliveries, refunds not yet reversed) is adding an entry.
 *
 * `sql` selects, for the organizations `$1` (text[]) with each one's thresholds from
 * `exception_settings` (left-joined as `s`, defaults when absent), the columns `id` (what the action
 * acts on), `org_id`, `at` (since when), `subject` and `detail` (the console's words) and optionally
 * `invoice_id` / `account_id` (what the page opens). Each is cheap: it reads a partial index of
 * the few rows needing attention (`invoices_org_attention_idx`, `deliveries_failed_idx`,
 * `receipt_codes_org_active_expiry_idx`) or an organization's handful of accounts.
 *
 * An action is either done here (`run`: the existing service function, role-checked there) or
 * done by the page (`open`: the invoice's 红冲 dialog, the account page, the receipt code).
 */
export type ExceptionAction =
  | { key: "retry" | "resend" | "issue_now"; label: string; run: ActionRun }
  | { key: "reverse" | "reauthenticate" | "open_invoice" | "open_code"; label: string };

type ActionRun = (
  ctx: ActionContext,
  options: { actor: Actor; orgId: string; id: string; row: ExceptionRow },
) => Promise<void>;
type ActionContext = Pick<
  AppContext,
  "database" | "providers" | "jobs" | "log" | "config" | "deliveries" | "metrics"
>;

export interface ExceptionRow {
  id: string;
  org_id: string;
  at: Date | string;
  subject: string;
  detail: string;
  invoice_id?: string | null;
  account_id?: string | null;
  /** The recipient's channel, for a delivery's resend. */
  channel?: string | null;
  recipient?: string | null;
}

export interface ExceptionKind {
  kind: string;
  label: string;
  sql: string;
  action: ExceptionAction;
}

/** Defaults while an organization has no `exception_settings` row (a row with no threshold turns that kind off). */
export const EXCEPTION_DEFAULTS = { stuckMinutes: 30, expiringDays: 3, creditThreshold: "10000.00" } as const;
const STUCK = `coalesce(s.stuck_minutes, ${EXCEPTION_DEFAULTS.stuckMinutes})`;
const EXPIRING = `coalesce(s.expiring_days, ${EXCEPTION_DEFAULTS.expiringDays})`;
const CREDIT = `(case when s.org_id is null then ${EXCEPTION_DEFAULTS.creditThreshold} else s.credit_threshold end)`;
const BUYER = `i.buyer_name || ' · ¥' || i.total_amount::text`;

export const EXCEPTION_KINDS: ExceptionKind[] = [
  {
    kind: "invoice_stuck",
    label: "开具超时",
    sql: `select i.id, i.org_id, i.created_at as at, ${BUYER} as subject,
      (case i.status when 'pending' then '待开具' else '开具中' end) || '，已尝试 ' || i.attempts || ' 次' as detail,
      i.id as invoice_id
      from invoices i left join exception_settings s on s.org_id = i.org_id
      where i.org_id = any($1::text[]) and i.status in ('pending', 'issuing')
        and i.created_at < now() - ${STUCK} * interval '1 minute'`,
    action: {
      key: "issue_now",
      label: "立即重试",
      // The attempt the sweep would make, made now (safe beside the sweep: one attempt at a time
      // wins its count, the channel is asked by serial first).
      run: async (ctx, { actor, orgId, id }) => {
        requireOrg(actor, orgId, "operate");
        await issueNow(ctx, [id]);
      },
    },
  },
  {
    kind: "invoice_failed",
    label: "开具失败",
    sql: `select i.id, i.org_id, i.created_at as at, ${BUYER} as subject,
      coalesce(i.failure_reason, '开具失败') as detail, i.id as invoice_id
      from invoices i
      where i.org_id = any($1::text[]) and i.status = 'failed'
        and not exists (select 1 from red_confirmations c where c.red_invoice_id = i.id
                        and c.status in ('refused', 'expired'))`,
    action: {
      key: "retry",
      label: "重试",
      run: async (ctx, { actor, orgId, id }) => {
        await retryInvoiceForConsole(ctx, { actor, orgId, id });
      },
    },
  },
  {
    // A red invoice whose 确认单 the buyer refused or let expire: the blue one is reversed anew.
    kind: "red_confirmation_closed",
    label: "红字确认单被拒绝/过期",
    sql: `select i.id, i.org_id, i.created_at as at, ${BUYER} as subject,
      '红字确认单' || (case c.status when 'refused' then '已被拒绝' else '已过期' end) || '，请重新红冲' as detail,
      i.blue_invoice_id as invoice_id
      from invoices i join red_confirmations c on c.red_invoice_id = i.id
      where i.org_id = any($1::text[]) and i.status = 'failed' and c.status in ('refused', 'expired')
        and exists (select 1 from invoices b where b.id = i.blue_invoice_id and b.status in ('issued', 'partially_reversed'))
        and not exists (select 1 from invoices r where r.blue_invoice_id = i.blue_invoice_id
                        and r.created_at > i.created_at)`,
    action: { key: "reverse", label: "重新红冲" },
  },
  {
    kind: "red_confirmation_pending",
    label: "待红字确认单",
    sql: `select i.id, i.org_id, i.created_at as at, ${BUYER} as subject,
      '等待购买方确认红字发票信息确认单' || coalesce('（' || to_char(c.expires_at at time zone 'Asia/Shanghai', 'MM-DD HH24:MI') || ' 前）', '') as detail,
      i.id as invoice_id
      from invoices i left join red_confirmations c on c.red_invoice_id = i.id
      where i.org_id = any($1::text[]) and i.status = 'confirmation_pending'`,
    action: { key: "open_invoice", label: "查看" },
  },
  {
    // The latest sending to a recipient failed or came back as a bounce (a resend since, pending or
    // sent, closes it). A bounce's last_error starts with 退信.
    kind: "delivery_failed",
    label: "发送失败 / 退信",
    sql: `select d.id, i.org_id, d.updated_at as at,
      (case d.channel when 'email' then '邮件 ' else '短信 ' end) || d.recipient as subject,
      coalesce(i.number, '') || ' · ' || coalesce(d.last_error, '发送失败') as detail,
      i.id as invoice_id, d.channel, d.recipient
      from deliveries d join invoices i on i.id = d.invoice_id
      where d.status in ('failed', 'bounced') and i.org_id = any($1::text[])
        and not exists (select 1 from deliveries n where n.invoice_id = d.invoice_id
                        and n.recipient = d.recipient and n.created_at > d.created_at)`,
    action: {
      key: "resend",
      label: "重新发送",
      run: async (ctx, { actor, orgId, row }) => {
        const to = row.recipient ?? "";
        await resendInvoiceForConsole(ctx, {
          actor,
          orgId,
          id: row.invoice_id as string,
          ...(row.channel === "sms" ? { mobile: to } : { email: to }),
        });
      },
    },
  },
  {
    // A refund left to an operator (manual) or still waiting for its code's invoice past the stuck
    // threshold; an operator's red invoice of the code's invoice made since the refund settles it
    // (inv.code_id: the code whose invoices the refund's code was issued on — its own, or for a
    // receipt added to another's submission, 合并开票, that code's).
    // Opens that invoice's 红冲 dialog (or the receipt codes when no issued invoice is known).
    kind: "refund_unreversed",
    label: "退款未红冲",
    sql: `select r.id, r.org_id, r.created_at as at,
      rc.serial_no || ' · 退款 ' || r.refund_no as subject,
      (case r.status when 'manual' then '需人工处理' else '待开票后红冲，已等待超时' end)
        || coalesce('：' || nullif(r.note, ''), '') as detail,
      coalesce(r.blue_invoice_id, (select b.id from invoices b where b.receipt_code_id = inv.code_id
        and b.color = 'blue' and b.status in ('issued', 'partially_reversed') order by b.created_at limit 1)) as invoice_id
      from refunds r join receipt_codes rc on rc.id = r.receipt_code_id
        left join exception_settings s on s.org_id = r.org_id
        cross join lateral (select coalesce((select sub.receipt_code_id from submission_codes sc
          join submissions sub on sub.id = sc.submission_id where sc.receipt_code_id = r.receipt_code_id),
          r.receipt_code_id) as code_id) inv
      where r.org_id = any($1::text[]) and r.status in ('manual', 'awaiting_invoice')
        and r.created_at < now() - ${STUCK} * interval '1 minute'
        and not exists (select 1 from invoices red join invoices b on b.id = red.blue_invoice_id
                        where b.receipt_code_id = inv.code_id and red.status <> 'failed'
                          and red.created_at > r.created_at)`,
    action: { key: "reverse", label: "红冲" },
  },
  {
    kind: "receipt_code_expiring",
    label: "小票码即将过期",
    sql: `select rc.id, rc.org_id, rc.expires_at as at,
      rc.serial_no || ' · ¥' || rc.total_amount::text as subject,
      '尚未开票，将于 ' || to_char(rc.expires_at at time zone 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI') || ' 过期' as detail
      from receipt_codes rc left join exception_settings s on s.org_id = rc.org_id
      where rc.org_id = any($1::text[]) and rc.status = 'active' and rc.expires_at > now()
        and rc.expires_at <= now() + ${EXPIRING} * interval '1 day'`,
    action: { key: "open_code", label: "查看" },
  },
  {
    kind: "account_status",
    label: "电子税局账号异常",
    sql: `select a.id, a.org_id, coalesce(a.status_changed_at, a.updated_at) as at,
      a.name || (case a.status when 'reauth' then '（需重新认证）' else '（离线）' end) as subject,
      coalesce(a.status_message, '') || coalesce('；' || a.status_action, '') as detail, a.id as account_id
      from tax_bureau_accounts a
      where a.org_id = any($1::text[]) and a.status in ('reauth', 'offline')`,
    action: { key: "reauthenticate", label: "重新认证" },
  },
  {
    kind: "credit_low",
    label: "授信额度不足",
    sql: `select a.id, a.org_id, a.credit_reported_at as at, a.name as subject,
      '可用授信额度 ¥' || a.credit_available::text || '，低于 ¥' || ${CREDIT}::text as detail, a.id as account_id
      from tax_bureau_accounts a left join exception_settings s on s.org_id = a.org_id
      where a.org_id = any($1::text[]) and a.credit_available is not null
        and a.credit_available < ${CREDIT}`,
    action: { key: "reauthenticate", label: "查看账号" },
  },
];
