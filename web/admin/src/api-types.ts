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
import type { deviceOutput } from "../../../src/modules/devices/devices.schema";
import type {
  invoiceDetail,
  invoiceFilterQuery,
  invoiceListItem,
  invoiceStatus,
} from "../../../src/modules/invoices/invoices.console.schema";
import type { importOutput, itemOutput } from "../../../src/modules/items/items.schema";
import type {
  credentialOutput,
  issuedCredentialOutput,
  openApiSettingsOutput,
  webhookEventOutput,
  webhookTestOutput,
} from "../../../src/modules/open-api/open-api.console.schema";
import type { organizationOutput } from "../../../src/modules/organizations/organizations.console.schema";
import type { integrationsOutput } from "../../../src/modules/organizations/organizations.integrations";
import type {
  receiptCodeCreated,
  receiptCodeDetail,
  receiptCodeLineOutput,
  receiptCodeListItem,
  receiptCodeListQuery,
} from "../../../src/modules/receipt-codes/receipt-codes.console.schema";
import type { receiptCodeStatus } from "../../../src/modules/receipt-codes/receipt-codes.schema";
import type { statsResponse } from "../../../src/modules/stats/stats.schema";
import type {
  accountStatusOutput,
  channelOutput,
  taxAccountOutput,
} from "../../../src/modules/tax-accounts/tax-accounts.schema";
import type {
  consoleMembershipOutput,
  consoleUserOutput,
} from "../../../src/modules/users/users.console.schema";
import type { pageOf } from "../../../src/platform/console-schemas";

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
export type ReceiptConfig = Out<typeof configOutput>;
export type TaxAccount = Out<typeof taxAccountOutput>;
export type TaxAccountChannel = Out<typeof channelOutput>;
export type TaxAccountStatus = Out<typeof accountStatusOutput>;
export type Device = Out<typeof deviceOutput>;
export type Item = Out<typeof itemOutput>;
export type ItemImportResult = Out<typeof importOutput>;

// 动态小票码
export type CodeStatus = Out<typeof receiptCodeStatus>;
export type ReceiptCodeSummary = Out<typeof receiptCodeListItem>;
export type ReceiptCodeDetail = Out<typeof receiptCodeDetail>;
export type ReceiptCodeLine = Out<typeof receiptCodeLineOutput>;
/** The answer of 新增. */
export type ReceiptCodeCreated = Out<typeof receiptCodeCreated>;
/** The list's filters as the query string carries them (paging apart). */
export type ReceiptCodeFilters = Omit<z.input<typeof receiptCodeListQuery>, "page" | "pageSize">;

// 发票管理, 统计分析
export type InvoiceStatus = Out<typeof invoiceStatus>;
export type InvoiceSummary = Out<typeof invoiceListItem>;
export type InvoiceDetail = Out<typeof invoiceDetail>;
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
