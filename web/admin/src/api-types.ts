/**
 * The shapes of the console API as the server's zod schemas declare them. The response schemas are
 * what the server sends (its serializer's whitelist: test/reliability/response-schemas.test.ts), so
 * the pages read their types instead of writing them again. Types only (`import type`): neither zod
 * nor any server code enters the bundles. The one file that names server paths, so a schema that
 * moves is a one-line change here.
 */
import type { z } from "zod";
import type { auditOutput } from "../../../src/modules/audit/audit.console";
import type { sessionOutput } from "../../../src/modules/auth/auth.schema";
import type { configOutput } from "../../../src/modules/configs/configs.schema";
import type { consoleCorrection } from "../../../src/modules/corrections/corrections.schema";
import type { deviceOutput } from "../../../src/modules/devices/devices.schema";
import type {
  invoiceDetail,
  invoiceFilterQuery,
  invoiceListItem,
  invoiceStatus,
  invoiceSummary,
} from "../../../src/modules/invoices/invoices.console.schema";
import type {
  importOutput,
  importRowError,
  itemOutput,
  taxCodeOutput,
} from "../../../src/modules/items/items.schema";
import type {
  credentialOutput,
  issuedCredentialOutput,
  openApiSettingsOutput,
  webhookEventOutput,
  webhookTestOutput,
} from "../../../src/modules/open-api/open-api.console.schema";
import type { organizationOutput } from "../../../src/modules/organizations/organizations.console.schema";
import type { integrationsOutput } from "../../../src/modules/organizations/organizations.integrations";
import type { smsSettingsOutput } from "../../../src/modules/organizations/organizations.sms";
import type {
  receiptCodeCreated,
  receiptCodeDetail,
  receiptCodeHistory,
  receiptCodeLineOutput,
  receiptCodeListItem,
  receiptCodeListQuery,
} from "../../../src/modules/receipt-codes/receipt-codes.console.schema";
import type { receiptCodeStatus } from "../../../src/modules/receipt-codes/receipt-codes.schema";
import type { consoleRefund } from "../../../src/modules/refunds/refunds.schema";
import type { statsResponse } from "../../../src/modules/stats/stats.schema";
import type {
  accountStatusOutput,
  channelOutput,
  reauthOutput,
  taxAccountOutput,
} from "../../../src/modules/tax-accounts/tax-accounts.schema";
import type {
  consoleMembershipOutput,
  consoleUserOutput,
} from "../../../src/modules/users/users.console.schema";
import type { digestSettingsOutput } from "../../../src/modules/users/users.digest";
import type { cardSetupOutput } from "../../../src/modules/wechat/card-setup";
import type { bulkOutcome, pageOf } from "../../../src/platform/console-schemas";

type Out<T extends z.ZodType> = z.output<T>;

/** A page of a list: `pageOf(item)` on the server. */
export type Page<T> = Omit<Out<ReturnType<typeof pageOf>>, "items"> & { items: T[] };

// 登录与会话, 用户
export type Session = Out<typeof sessionOutput>;
export type Role = Session["organizations"][number]["role"];
export type ConsoleUser = Out<typeof consoleUserOutput>;
export type Membership = Out<typeof consoleMembershipOutput>;

// 基础资料, 小票码配置
export type Organization = Out<typeof organizationOutput>;
/** 扫码页抬头服务: the 公众号 and the 抬头 lookup's registry service, secrets masked. */
export type Integrations = Out<typeof integrationsOutput>;
/** 开通微信卡包: each step's result and the integrations after it. */
export type WechatCardSetup = Out<typeof cardSetupOutput>;
/** 短信通知: the organization's 短信签名 and template at the installation's SMS provider. */
export type SmsSettings = Out<typeof smsSettingsOutput>;
/** 每日摘要: the signed-in user's address and opt-out. */
export type DigestSettings = Out<typeof digestSettingsOutput>;
export type ReceiptConfig = Out<typeof configOutput>;
export type TaxAccount = Out<typeof taxAccountOutput>;
export type TaxAccountChannel = Out<typeof channelOutput>;
export type TaxAccountStatus = Out<typeof accountStatusOutput>;
/** 扫码认证's answer: the account's state, the scan's, and a new QR when one was asked for. */
export type TaxAccountReauth = Out<typeof reauthOutput>;
export type Device = Out<typeof deviceOutput>;
export type Item = Out<typeof itemOutput>;
export type ItemImportResult = Out<typeof importOutput>;
export type ImportRowError = Out<typeof importRowError>;
export type TaxCategory = Out<typeof taxCodeOutput>;

// 动态小票码
export type CodeStatus = Out<typeof receiptCodeStatus>;
export type ReceiptCodeSummary = Out<typeof receiptCodeListItem>;
export type ReceiptCodeDetail = Out<typeof receiptCodeDetail>;
export type ReceiptCodeHistory = Out<typeof receiptCodeHistory>;
export type ReceiptCodeLine = Out<typeof receiptCodeLineOutput>;
/** The answer of 新增. */
export type ReceiptCodeCreated = Out<typeof receiptCodeCreated>;
/** The list's filters as the query string carries them (paging apart). */
export type ReceiptCodeFilters = Omit<z.input<typeof receiptCodeListQuery>, "page" | "pageSize">;

// 发票管理, 统计分析
export type InvoiceStatus = Out<typeof invoiceStatus>;
export type InvoiceSummary = Out<typeof invoiceListItem>;
export type InvoiceDetail = Out<typeof invoiceDetail>;
/** 合计 of the filtered invoice list (count and sums over the whole filter). */
export type InvoiceTotals = Out<typeof invoiceSummary>;
/** What a bulk action did, and what it left with the reason. */
export type BulkOutcome = Out<typeof bulkOutcome>;
/** A blue invoice's red counterpart, or a red invoice's blue one. */
export type RelatedInvoice = NonNullable<InvoiceDetail["red"]>;
/** The list's (and the export's) filters as the query string carries them. */
export type InvoiceFilters = z.input<typeof invoiceFilterQuery>;
export type Stats = Out<typeof statsResponse>;
export type StatsSlice = Stats["byInvoiceType"][number];

// 操作日志
export type AuditEntry = Out<typeof auditOutput>;

// 开放接口
export type Credential = Out<typeof credentialOutput>;
/** The answer of create and rotate: the only time the secret leaves the server. */
export type IssuedCredential = Out<typeof issuedCredentialOutput>;
export type OpenApiSettings = Out<typeof openApiSettingsOutput>;
export type WebhookTestResult = Out<typeof webhookTestOutput>;
export type WebhookEvent = Out<typeof webhookEventOutput>;
export type WebhookAttempt = WebhookEvent["attempts"][number];

// 换开申请, 退款
export type ConsoleCorrection = Out<typeof consoleCorrection>;
export type ConsoleRefund = Out<typeof consoleRefund>;
// 异常中心 and 审核开票 (issue 18).
export type ExceptionList = Out<
  typeof import("../../../src/modules/exceptions/exceptions.schema").exceptionList
>;
export type ExceptionItem = ExceptionList["items"][number];
export type ExceptionCounts = Out<
  typeof import("../../../src/modules/exceptions/exceptions.schema").exceptionCounts
>;
export type ExceptionSettings = Out<
  typeof import("../../../src/modules/exceptions/exceptions.schema").exceptionSettingsOutput
>;
export type ReviewRule = Out<typeof import("../../../src/modules/invoices/review.schema").reviewRuleOutput>;
