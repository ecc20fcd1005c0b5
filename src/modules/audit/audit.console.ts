import { z } from "zod";
import type { Actor, AppContext } from "../../context";
import { chinaDayStart } from "../../domain";
import { hidden, orgParams, pageOf, pageQuery } from "../../platform/console-schemas";
import type { HttpServer } from "../../platform/http";
import { isoDay, oneLine } from "../../platform/input";
import { requireOrg } from "../auth/access";
import { actorOf } from "../auth/console-guard";
import { findAuditOfRecords, findAuditPage } from "./audit.repository";

export const auditQuery = z.object({
  action: oneLine().max(64).optional(),
  entityId: oneLine().max(64).optional(),
  /** Part of the operator's username or name (console users), or the actor's id (接口, 系统). */
  operator: oneLine().max(64).optional(),
  /** On or after this day (China time), YYYY-MM-DD. */
  from: isoDay().optional(),
  /** On or before this day (China time), YYYY-MM-DD. */
  to: isoDay().optional(),
  ...pageQuery,
});

export const auditOutput = z.object({
  id: z.string(),
  actorType: z.string(),
  actorName: z.string(),
  action: z.string(),
  entityType: z.string(),
  entityId: z.string().nullable(),
  details: z.record(z.string(), z.unknown()),
  createdAt: z.string(),
});

type AuditRowWithUser = Awaited<ReturnType<typeof findAuditPage>>["rows"][number];

/** An entry as the console shows it: the console user by name, others by their kind's id. */
function auditView({ entry, username, displayName }: AuditRowWithUser): z.infer<typeof auditOutput> {
  return {
    id: entry.id,
    actorType: entry.actorType,
    actorName:
      entry.actorType === "user"
        ? displayName
          ? `${displayName}（${username}）`
          : (username ?? "已删除用户")
        : (entry.actorId ?? entry.actorType),
    action: entry.action,
    entityType: entry.entityType,
    entityId: entry.entityId,
    details: (entry.details ?? {}) as Record<string, unknown>,
    createdAt: entry.createdAt.toISOString(),
  };
}

/**
 * The entries about some records of one organization (a receipt code and its invoices), oldest
 * first, at most `limit`: a record's history, which an operator may read without 操作日志's role.
 */
export async function auditTrailOf(
  ctx: Pick<AppContext, "database">,
  orgId: string,
  records: readonly { entityType: string; ids: readonly string[] }[],
  limit = 200,
): Promise<z.infer<typeof auditOutput>[]> {
  return (await findAuditOfRecords(ctx.database.db, orgId, records, limit)).map(auditView);
}

/** 操作日志: who created, changed, disabled, printed what, for admins of the organization. */
export async function findAuditForConsole(
  ctx: Pick<AppContext, "database">,
  options: { actor: Actor; orgId: string; query: z.infer<typeof auditQuery> },
) {
  requireOrg(options.actor, options.orgId, "administer");
  const { query } = options;
  const { rows, total } = await findAuditPage(ctx.database.db, {
    orgId: options.orgId,
    action: query.action || undefined,
    entityId: query.entityId || undefined,
    operator: query.operator || undefined,
    from: query.from ? chinaDayStart(query.from) : undefined,
    to: query.to ? chinaDayStart(query.to, 1) : undefined,
    offset: (query.page - 1) * query.pageSize,
    limit: query.pageSize,
  });
  return {
    items: rows.map(auditView),
    total,
    page: query.page,
    pageSize: query.pageSize,
  };
}

export function registerAuditRoutes(http: HttpServer, ctx: AppContext): void {
  http.get(
    "/orgs/:orgId/audit",
    {
      schema: {
        ...hidden,
        params: orgParams,
        querystring: auditQuery,
        response: { 200: pageOf(auditOutput) },
      },
    },
    async (req) =>
      findAuditForConsole(ctx, { actor: actorOf(req), orgId: req.params.orgId, query: req.query }),
  );
}
