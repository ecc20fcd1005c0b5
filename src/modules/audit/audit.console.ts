import { z } from "zod";
import type { Actor, AppContext } from "../../context";
import { hidden, orgParams, pageOf, pageQuery } from "../../platform/console-schemas";
import type { HttpServer } from "../../platform/http";
import { oneLine } from "../../platform/input";
import { requireOrg } from "../auth/access";
import { actorOf } from "../auth/console-guard";
import { findAuditPage } from "./audit.repository";

export const auditQuery = z.object({
  action: oneLine().max(64).optional(),
  entityId: oneLine().max(64).optional(),
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
    offset: (query.page - 1) * query.pageSize,
    limit: query.pageSize,
  });
  return {
    items: rows.map(({ entry, username, displayName }) => ({
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
    })),
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
