import { and, eq, inArray, sql } from "drizzle-orm";
import type { Actor, AppContext } from "../../context";
import { exceptionSettings, invoices } from "../../platform/db/schema";
import { AppError } from "../../platform/errors";
import { recordAudit } from "../audit/audit.service";
import { requireOrg, requireOrgScope } from "../auth/access";
import { REVIEW_STATUS } from "../invoices/invoice-status";
import {
  EXCEPTION_DEFAULTS,
  EXCEPTION_KINDS,
  type ExceptionKind,
  type ExceptionRow,
} from "./exceptions.kinds";
import type { ExceptionItem, ExceptionSettingsInput } from "./exceptions.schema";

/**
 * 异常中心: what needs an operator's attention across the organizations the user may read (or the
 * one named), newest first, each with its action; and the counts the console's menu shows.
 */

type ListContext = Pick<AppContext, "database">;
type ActContext = Pick<
  AppContext,
  "database" | "providers" | "jobs" | "log" | "config" | "deliveries" | "metrics"
>;

/** At most this many items per kind in the list (the count says how many there are). */
const PER_KIND = 200;

const iso = (at: Date | string | null) => (at === null ? null : new Date(at).toISOString());

async function rowsOf(ctx: ListContext, kind: ExceptionKind, orgIds: string[]): Promise<ExceptionRow[]> {
  const { rows } = await ctx.database.executeSql(
    `select * from (${kind.sql}) x order by x.at desc nulls last limit ${PER_KIND}`,
    [orgIds],
  );
  return rows as unknown as ExceptionRow[];
}

async function countOf(ctx: ListContext, kind: ExceptionKind, orgIds: string[]): Promise<number> {
  const { rows } = await ctx.database.executeSql(`select count(*)::int as n from (${kind.sql}) x`, [orgIds]);
  return (rows[0] as { n: number }).n;
}

function itemOf(kind: ExceptionKind, r: ExceptionRow): ExceptionItem {
  return {
    kind: kind.kind,
    kindLabel: kind.label,
    id: r.id,
    orgId: r.org_id,
    at: iso(r.at),
    subject: r.subject ?? "",
    detail: r.detail ?? "",
    invoiceId: r.invoice_id ?? null,
    accountId: r.account_id ?? null,
    action: { key: kind.action.key, label: kind.action.label },
  };
}

/** The list: every kind (or one), for the organizations in scope. */
export async function findExceptions(
  ctx: ListContext,
  options: { actor: Actor; orgId?: string; kind?: string },
) {
  const orgIds = requireOrgScope(options.actor, options.orgId);
  const kinds = EXCEPTION_KINDS.filter((k) => !options.kind || k.kind === options.kind);
  const found = await Promise.all(
    kinds.map(async (k) => ({
      kind: k,
      rows: await rowsOf(ctx, k, orgIds),
      count: await countOf(ctx, k, orgIds),
    })),
  );
  const items = found
    .flatMap(({ kind, rows }) => rows.map((r) => itemOf(kind, r)))
    .sort((a, b) => (b.at ?? "").localeCompare(a.at ?? ""));
  return {
    items,
    kinds: found.map(({ kind, count }) => ({ kind: kind.kind, label: kind.label, count })),
  };
}

/** The menu's badges: open exceptions and submissions awaiting review, in the organizations in scope. */
export async function countExceptions(ctx: ListContext, options: { actor: Actor; orgId?: string }) {
  const orgIds = requireOrgScope(options.actor, options.orgId);
  const counts = await Promise.all(EXCEPTION_KINDS.map((k) => countOf(ctx, k, orgIds)));
  const [review] = await ctx.database.db
    .select({ n: sql<number>`count(*)::int` })
    .from(invoices)
    .where(and(inArray(invoices.orgId, orgIds), eq(invoices.status, REVIEW_STATUS)));
  return { exceptions: counts.reduce((a, b) => a + b, 0), awaitingReview: Number(review?.n ?? 0) };
}

/** Open exceptions of one organization by kind, without an actor (the daily digest, modules/digest). */
export async function exceptionCountsOf(ctx: ListContext, orgId: string) {
  return Promise.all(
    EXCEPTION_KINDS.map(async (k) => ({
      kind: k.kind,
      label: k.label,
      count: await countOf(ctx, k, [orgId]),
    })),
  );
}

/**
 * The kind's one-click action on one item, through the existing service function (which checks the
 * role); the item must still be one of the kind's in that organization, or the answer is 409.
 */
export async function actOnException(
  ctx: ActContext,
  options: { actor: Actor; orgId: string; kind: string; id: string },
): Promise<void> {
  requireOrg(options.actor, options.orgId, "operate");
  const kind = EXCEPTION_KINDS.find((k) => k.kind === options.kind);
  if (!kind) throw new AppError("NOT_FOUND", "未知的异常类型");
  const action = kind.action;
  if (!("run" in action)) throw new AppError("CONFLICT", "该异常需在对应页面处理");
  const { rows } = await ctx.database.executeSql(`select * from (${kind.sql}) x where x.id = $2`, [
    [options.orgId],
    options.id,
  ]);
  const row = rows[0] as ExceptionRow | undefined;
  if (!row) throw new AppError("CONFLICT", "该异常已处理或不存在，请刷新");
  await action.run(ctx, { actor: options.actor, orgId: options.orgId, id: options.id, row });
}

export async function getExceptionSettings(ctx: ListContext, options: { actor: Actor; orgId: string }) {
  requireOrg(options.actor, options.orgId);
  const [row] = await ctx.database.db
    .select()
    .from(exceptionSettings)
    .where(eq(exceptionSettings.orgId, options.orgId));
  return row
    ? { stuckMinutes: row.stuckMinutes, expiringDays: row.expiringDays, creditThreshold: row.creditThreshold }
    : { ...EXCEPTION_DEFAULTS };
}

export async function saveExceptionSettings(
  ctx: ListContext,
  options: { actor: Actor; orgId: string; input: ExceptionSettingsInput },
) {
  const actor = requireOrg(options.actor, options.orgId, "administer");
  const values = {
    stuckMinutes: options.input.stuckMinutes,
    expiringDays: options.input.expiringDays,
    creditThreshold: options.input.creditThreshold ?? null,
    updatedAt: new Date(),
  };
  await ctx.database.db.transaction(async (tx) => {
    await tx
      .insert(exceptionSettings)
      .values({ orgId: options.orgId, ...values })
      .onConflictDoUpdate({ target: exceptionSettings.orgId, set: values });
    await recordAudit(tx, {
      actor,
      orgId: options.orgId,
      action: "exception_settings.update",
      entityType: "organization",
      entityId: options.orgId,
      details: { ...values, updatedAt: undefined },
    });
  });
  return getExceptionSettings(ctx, options);
}
