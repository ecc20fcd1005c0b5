import { PassThrough, Readable } from "node:stream";
import { inArray } from "drizzle-orm";
import ExcelJS from "exceljs";
import type { Actor, AppContext } from "../../context";
import type { DbOrTx } from "../../platform/db/client";
import { invoiceLines } from "../../platform/db/schema";
import { requireOrgScope } from "../auth/access";
import { toComputedLine } from "./invoice-document";
import { hasFailed, statusLabel } from "./invoice-status";
import { findOrganizationNames, type InvoiceListRow, invoiceBatches } from "./invoices.console.repository";
import type { InvoiceFilter } from "./invoices.console.schema";

/**
 * 导出: the filtered invoice list (and its lines) as .xlsx or .csv, streamed batch by batch so an
 * export of a million invoices never sits in memory. Headers are Chinese; in xlsx, amounts are
 * numbers (Excel can sum them); the CSV starts with a UTF-8 BOM, without which Excel on Windows
 * reads it as GBK and garbles every Chinese character.
 */

const TYPE = {
  digital_normal: "电子发票（普通发票）",
  digital_special: "电子发票（增值税专用发票）",
} as Record<string, string>;
const BUYER: Record<string, string> = {
  individual: "个人",
  enterprise: "企业",
  non_enterprise: "非企业单位",
};
const SOURCE: Record<string, string> = { manual: "手工新增", push: "接口推送", link: "链接生成" };
const KIND: Record<string, string> = { normal: "正常行", discounted: "被折扣行", discount: "折扣行" };

/** "YYYY-MM-DD HH:mm:ss" in China time (fixed UTC+8), whatever the server's zone. */
function chinaTime(d: Date | null): string {
  if (!d) return "";
  return new Date(d.getTime() + 8 * 3600_000).toISOString().slice(0, 19).replace("T", " ");
}

type Cell = string | number | null;
interface Column<T> {
  header: string;
  width: number;
  value: (row: T) => Cell;
  /** Amounts: a number cell in xlsx with two decimals; in CSV the decimal text as stored. */
  money?: boolean;
  /** A decimal given as text: a number cell in xlsx, the text itself in CSV. */
  numeric?: boolean;
}

const INVOICE_COLUMNS: Column<InvoiceListRow>[] = [
  { header: "发票号码", width: 24, value: (r) => r.invoice.number ?? "" },
  { header: "红蓝字", width: 8, value: (r) => (r.invoice.color === "red" ? "红字" : "蓝字") },
  { header: "状态", width: 10, value: (r) => statusLabel(r.invoice.status) },
  { header: "发票类型", width: 26, value: (r) => TYPE[r.invoice.invoiceType] ?? r.invoice.invoiceType },
  { header: "开票时间", width: 20, value: (r) => chinaTime(r.invoice.issuedAt) },
  { header: "购买方类型", width: 12, value: (r) => BUYER[r.invoice.buyerType] ?? r.invoice.buyerType },
  { header: "购买方名称", width: 30, value: (r) => r.invoice.buyerName },
  { header: "购买方纳税人识别号", width: 22, value: (r) => r.invoice.buyerTaxId },
  { header: "金额", width: 14, money: true, value: (r) => r.invoice.amountExcludingTax },
  { header: "税额", width: 12, money: true, value: (r) => r.invoice.taxAmount },
  { header: "价税合计", width: 14, money: true, value: (r) => r.invoice.totalAmount },
  { header: "小票流水号", width: 22, value: (r) => r.serialNo },
  { header: "设备编号", width: 14, value: (r) => r.deviceNo ?? "" },
  { header: "来源", width: 10, value: (r) => SOURCE[r.source] ?? r.source },
  { header: "红冲原因", width: 10, value: (r) => r.invoice.reverseReason ?? "" },
  {
    header: "失败原因",
    width: 24,
    value: (r) => (hasFailed(r.invoice.status) ? (r.invoice.failureReason ?? "") : ""),
  },
  { header: "邮箱", width: 24, value: (r) => r.invoice.email ?? "" },
  { header: "手机号", width: 14, value: (r) => r.invoice.mobile ?? "" },
  { header: "创建时间", width: 20, value: (r) => chinaTime(r.invoice.createdAt) },
];

type LineRow = { invoice: InvoiceListRow["invoice"]; line: typeof invoiceLines.$inferSelect };

const LINE_COLUMNS: Column<LineRow>[] = [
  { header: "发票号码", width: 24, value: (r) => r.invoice.number ?? "" },
  { header: "红蓝字", width: 8, value: (r) => (r.invoice.color === "red" ? "红字" : "蓝字") },
  { header: "开票时间", width: 20, value: (r) => chinaTime(r.invoice.issuedAt) },
  { header: "购买方名称", width: 30, value: (r) => r.invoice.buyerName },
  { header: "行号", width: 6, value: (r) => r.line.position + 1 },
  { header: "行性质", width: 10, value: (r) => KIND[r.line.kind] ?? r.line.kind },
  { header: "项目名称", width: 30, value: (r) => toComputedLine(r.line).itemName },
  { header: "税收分类编码", width: 22, value: (r) => r.line.taxCode },
  { header: "规格型号", width: 12, value: (r) => r.line.spec },
  { header: "单位", width: 8, value: (r) => r.line.unit },
  { header: "数量", width: 10, numeric: true, value: (r) => toComputedLine(r.line).quantity },
  { header: "单价", width: 12, numeric: true, value: (r) => toComputedLine(r.line).unitPrice },
  { header: "金额", width: 14, money: true, value: (r) => r.line.amountExcludingTax },
  { header: "税率", width: 8, value: (r) => toComputedLine(r.line).taxRateLabel },
  { header: "税额", width: 12, money: true, value: (r) => r.line.tax },
  { header: "价税合计", width: 14, money: true, value: (r) => r.line.amountIncludingTax },
];

/** 组织, first, in an export of 「全部组织」: whose invoice each row is. */
function withOrganization<T extends { invoice: { orgId: string } }>(
  columns: Column<T>[],
  names: Map<string, string>,
): Column<T>[] {
  return [
    { header: "组织", width: 30, value: (r) => names.get(r.invoice.orgId) ?? r.invoice.orgId },
    ...columns,
  ];
}

async function* lineBatches(
  db: DbOrTx,
  orgIds: readonly string[],
  filter: InvoiceFilter,
): AsyncGenerator<LineRow[]> {
  for await (const batch of invoiceBatches(db, orgIds, filter)) {
    const byId = new Map(batch.map((r) => [r.invoice.id, r.invoice]));
    const lines = await db
      .select()
      .from(invoiceLines)
      .where(inArray(invoiceLines.invoiceId, [...byId.keys()]));
    const order = new Map(batch.map((r, i) => [r.invoice.id, i]));
    lines.sort((a, b) => order.get(a.invoiceId)! - order.get(b.invoiceId)! || a.position - b.position);
    yield lines.map((line) => ({ invoice: byId.get(line.invoiceId)!, line }));
  }
}

export interface ExportOptions {
  actor: Actor;
  /** One organization; absent: every organization the user belongs to, with a 组织 column. */
  orgId?: string;
  filter: InvoiceFilter;
  withLines: boolean;
}

/**
 * Checks access at once (so a refusal is an error answer, not a broken download) and gives the
 * organizations to export and the columns of both sheets.
 */
function exportScope(options: ExportOptions) {
  const orgIds = requireOrgScope(options.actor, options.orgId);
  const allOrganizations = options.orgId === undefined;
  return {
    orgIds,
    columnsOf: async (db: DbOrTx) => {
      if (!allOrganizations) return { invoices: INVOICE_COLUMNS, lines: LINE_COLUMNS };
      const names = await findOrganizationNames(db, orgIds);
      return {
        invoices: withOrganization(INVOICE_COLUMNS, names),
        lines: withOrganization(LINE_COLUMNS, names),
      };
    },
  };
}

export function exportFileName(format: "xlsx" | "csv", withLines: boolean): string {
  const day = chinaTime(new Date()).slice(0, 10).replaceAll("-", "");
  return `${withLines ? "发票明细" : "发票列表"}-${day}.${format}`;
}

/** Money and quantities become numbers here (Excel sums them); the database keeps exact decimals. */
function xlsxCell<T>(column: Column<T>, row: T): Cell {
  const value = column.value(row);
  if ((column.money || column.numeric) && typeof value === "string")
    return value === "" ? null : Number(value);
  return value;
}

/**
 * The first batch fetched before anything is sent, so a query the database refuses is an error answer
 * (with the API.md body) rather than a 200 whose body breaks off; the rest follow as they stream.
 */
async function primed<T>(batches: AsyncGenerator<T[]>): Promise<AsyncGenerator<T[]>> {
  const first = await batches.next();
  return (async function* () {
    if (first.done) return;
    yield first.value;
    yield* batches;
  })();
}

/** The .xlsx as a stream: sheet 发票, and with lines a second sheet 明细. */
export async function exportInvoicesXlsx(
  ctx: Pick<AppContext, "database" | "log">,
  options: ExportOptions,
): Promise<Readable> {
  const { orgIds, columnsOf } = exportScope(options);
  const { db } = ctx.database;
  const sheets = await columnsOf(db);
  const invoiceRows = await primed(invoiceBatches(db, orgIds, options.filter));
  const out = new PassThrough();
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ stream: out, useStyles: true });
  const writeSheet = async <T>(name: string, columns: Column<T>[], batches: AsyncGenerator<T[]>) => {
    const sheet = workbook.addWorksheet(name, { views: [{ state: "frozen", ySplit: 1 }] });
    sheet.columns = columns.map((c) => ({
      header: c.header,
      width: c.width,
      ...(c.money ? { style: { numFmt: "#,##0.00" } } : {}),
    }));
    sheet.getRow(1).font = { bold: true };
    for await (const batch of batches) {
      for (const row of batch) sheet.addRow(columns.map((c) => xlsxCell(c, row))).commit();
    }
    sheet.commit();
  };
  void (async () => {
    await writeSheet("发票", sheets.invoices, invoiceRows);
    if (options.withLines) await writeSheet("明细", sheets.lines, lineBatches(db, orgIds, options.filter));
    await workbook.commit();
  })().catch((e) => {
    ctx.log.error({ err: e }, "xlsx export failed");
    out.destroy(e as Error);
  });
  return out;
}

/** CSV text of one cell. Text that a spreadsheet would run as a formula gets a leading quote. */
function csvCell(value: Cell, isNumber: boolean): string {
  if (value === null) return "";
  let text = String(value);
  if (!isNumber && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** The .csv as a stream: the invoices, or with lines one row per invoice line. */
export async function exportInvoicesCsv(
  ctx: Pick<AppContext, "database">,
  options: ExportOptions,
): Promise<Readable> {
  const { orgIds, columnsOf } = exportScope(options);
  const { db } = ctx.database;
  function* header<T>(columns: Column<T>[]) {
    yield `\uFEFF${columns.map((c) => csvCell(c.header, false)).join(",")}\r\n`;
  }
  async function* rows<T>(columns: Column<T>[], batches: AsyncGenerator<T[]>) {
    yield* header(columns);
    for await (const batch of batches) {
      yield batch
        .map(
          (row) =>
            `${columns.map((c) => csvCell(c.value(row), Boolean(c.money || c.numeric) || typeof c.value(row) === "number")).join(",")}\r\n`,
        )
        .join("");
    }
  }
  const sheets = await columnsOf(db);
  const body = options.withLines
    ? rows(sheets.lines, await primed(lineBatches(db, orgIds, options.filter)))
    : rows(sheets.invoices, await primed(invoiceBatches(db, orgIds, options.filter)));
  return Readable.from(body);
}
