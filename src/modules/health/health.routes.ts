import { sql } from "drizzle-orm";
import { z } from "zod";
import type { AppContext } from "../../context";
import type { HttpServer } from "../../platform/http";

const healthResponse = z.object({
  status: z.enum(["ok", "degraded"]),
  db: z.enum(["ok", "error"]),
  version: z.string(),
});

export function registerHealthRoutes(
  app: HttpServer,
  ctx: Pick<AppContext, "database">,
  version: string,
): void {
  app.get(
    "/health",
    {
      schema: {
        tags: ["ops"],
        summary: "健康检查 Health check",
        response: { 200: healthResponse, 503: healthResponse },
      },
    },
    async (_req, reply) => {
      const db = await ctx.database.db
        .execute(sql`select 1`)
        .then(() => "ok" as const)
        .catch(() => "error" as const);
      return reply
        .status(db === "ok" ? 200 : 503)
        .send({ status: db === "ok" ? "ok" : "degraded", db, version });
    },
  );
}
